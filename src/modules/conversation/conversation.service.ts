import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { credentialOf } from '../../common/auth';
import { DomainError, ErrorCode, NotFoundError, UnauthorizedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { clarifyTimeoutJobId, JobName } from '../../queue/queue.constants';
import type { Question } from '../triage/engine/triage.types';
import { ReportMessage } from './entities/report-message.entity';
import { ReportTriage } from '../triage/entities/report-triage.entity';
import { Report } from '../reports/entities/report.entity';
import { PipelineService } from '../pipeline/pipeline.service';
import { ProjectsService } from '../projects/projects.service';
import { openQuestion } from './conversation';
import { looksLikeReporterToken, reporterTokenMatches } from './reporter-token';
import type { Request } from 'express';

export interface MessageView {
  id: string;
  author: 'agent' | 'reporter';
  body: string;
  questions: string[];
  createdAt: string;
}

export interface ConversationView {
  reportId: string;
  status: string;
  /** True while the agent waits for the reporter's answer. */
  awaitingReply: boolean;
  messages: MessageView[];
}

/** Who may read and write a report's conversation. */
export type ConversationCaller = 'reporter' | 'project';

/** The agent's questions and the reporter's answers, over the API (and later email). */
@Injectable()
export class ConversationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
    private readonly pipeline: PipelineService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * The reporter's token for this report, or an API key of its project (support staff). Any
   * other credential is a 401, whether or not the report exists.
   */
  async authorize(req: Request, reportId: string): Promise<ConversationCaller> {
    const credential = credentialOf(req);
    if (!credential) {
      throw new UnauthorizedError(
        "The reporter's token from intake, or the project's API key, is required (Authorization: Bearer <token>).",
      );
    }
    const wellFormed = isUUID(reportId);
    if (looksLikeReporterToken(credential)) {
      const row =
        wellFormed &&
        (await this.db
          .getRepository(Report)
          .createQueryBuilder('r')
          .select(['r.id', 'r.reporterTokenHash'])
          .where('r.id = :reportId', { reportId })
          .getOne());
      if (row && reporterTokenMatches(credential, row.reporterTokenHash)) return 'reporter';
      throw new UnauthorizedError('This token does not belong to this report.');
    }
    const project = await this.projects.authenticate(credential);
    if (!project) throw new UnauthorizedError();
    if (!wellFormed) throw new NotFoundError('Report');
    const report = await this.db
      .getRepository(Report)
      .findOneBy({ id: reportId, projectId: project.id });
    if (!report) throw new NotFoundError('Report');
    return 'project';
  }

  async messages(
    reportId: string,
    manager: EntityManager = this.db.manager,
  ): Promise<ReportMessage[]> {
    return manager.getRepository(ReportMessage).find({
      where: { reportId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async view(reportId: string): Promise<ConversationView> {
    const report = await this.db.getRepository(Report).findOneBy({ id: reportId });
    if (!report) throw new NotFoundError('Report');
    const messages = await this.messages(reportId);
    return {
      reportId,
      status: report.status,
      awaitingReply: (await this.openQuestion(reportId, messages)) !== null,
      messages: messages.map(toView),
    };
  }

  /** The agent's question the reporter has yet to answer, while the wait has not timed out. */
  async openQuestion(reportId: string, messages?: ReportMessage[]): Promise<ReportMessage | null> {
    const list = messages ?? (await this.messages(reportId));
    const triage = await this.db.getRepository(ReportTriage).findOneBy({ reportId });
    return openQuestion(list, triage?.clarifyClosedAt ?? null);
  }

  /**
   * Sends the agent's questions: one message, counted against the policy's limit. Stored
   * before the timeout is scheduled; a crash in between is mended by `ensureTimeout`.
   */
  async ask(
    reportId: string,
    questions: Question[],
    body: string,
    channel = 'api',
  ): Promise<ReportMessage> {
    const message = await this.db.transaction(async (manager) => {
      const saved = await manager.save(
        manager.create(ReportMessage, { reportId, author: 'agent', body, questions, channel }),
      );
      await manager.increment(ReportTriage, { reportId }, 'questionsAsked', questions.length);
      await this.pipeline.audit(
        {
          reportId,
          stage: 'clarify',
          event: 'questions_asked',
          reason: `Asked the reporter ${questions.length} question(s) about ${questions.map((q) => q.key).join(', ')}`,
          details: { messageId: saved.id, keys: questions.map((q) => q.key) },
        },
        manager,
      );
      return saved;
    });
    await this.ensureTimeout(reportId, message);
    return message;
  }

  /** The delayed job that ends the wait; a no-op when it is already scheduled. */
  async ensureTimeout(reportId: string, message: ReportMessage): Promise<void> {
    const due = message.createdAt.getTime() + this.config.AGENT_CLARIFY_TIMEOUT_MS;
    await this.pipeline.schedule(
      JobName.ClarifyTimeout,
      { reportId, messageId: message.id },
      clarifyTimeoutJobId(reportId, message.id),
      due - Date.now(),
    );
  }

  /** The reporter's answer: stored, then the agent runs again with it. */
  async reply(reportId: string, body: string, channel: string): Promise<MessageView> {
    const message = await this.db.transaction(async (manager) => {
      const report = await manager
        .getRepository(Report)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .where('r.id = :reportId', { reportId })
        .getOne();
      if (!report) throw new NotFoundError('Report');
      if (report.status !== 'clarifying') {
        throw new DomainError(
          409,
          ErrorCode.ConversationClosed,
          `The report is ${report.status}; the conversation is closed.`,
          { field: 'status', status: report.status },
        );
      }
      const saved = await manager.save(
        manager.create(ReportMessage, {
          reportId,
          author: 'reporter',
          body,
          questions: [],
          channel,
        }),
      );
      // An answer after the timeout still counts: the conversation opens again.
      await manager.update(ReportTriage, { reportId }, { clarifyClosedAt: null });
      await this.pipeline.audit(
        {
          reportId,
          stage: 'clarify',
          event: 'reporter_replied',
          reason: `The reporter answered (${body.length} characters) by ${channel}`,
          details: { messageId: saved.id, channel },
        },
        manager,
      );
      return saved;
    });
    await this.pipeline.enqueueSoon(JobName.ClarifyReport, reportId);
    return toView(message);
  }
}

function toView(message: ReportMessage): MessageView {
  return {
    id: message.id,
    author: message.author,
    body: message.body,
    questions: message.questions.map((q) => q.text),
    createdAt: message.createdAt.toISOString(),
  };
}
