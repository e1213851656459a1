import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource, type EntityManager, In } from 'typeorm';
import { credentialOf } from '../../common/auth';
import { NotFoundError, UnauthorizedError } from '../../common/errors';
import { ProjectsService } from '../projects/projects.service';
import { ReportsService } from '../reports/reports.service';
import { type AgentConversationMessage, openQuestion } from './conversation';
import {
  type MessageAuthor,
  ReportMessage,
  type StoredQuestion,
} from './entities/report-message.entity';
import { looksLikeReporterToken, reporterTokenMatches } from './reporter-token';
import type { Request } from 'express';

export interface MessageView {
  id: string;
  author: MessageAuthor;
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

/**
 * Another way of asking (email): told of each question message (and each staff message to the
 * reporter) inside the transaction that stores it, and again once that commits. A crash
 * between the two loses only the second call.
 */
export interface QuestionsListener {
  asked(manager: EntityManager, message: ReportMessage): Promise<void>;
  committed(message: ReportMessage): Promise<void>;
}

/** Who may read and write a report's conversation. */
export type ConversationCaller = 'reporter' | 'project';

/**
 * The agent's questions and the reporter's answers, over the API (and later email). Stores the
 * messages; what happens to the report next is the pipeline's to decide.
 */
@Injectable()
export class ConversationService {
  private readonly listeners: QuestionsListener[] = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
    private readonly reports: ReportsService,
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
      const hash = wellFormed ? await this.reports.reporterTokenHash(reportId) : undefined;
      if (hash !== undefined && reporterTokenMatches(credential, hash)) return 'reporter';
      throw new UnauthorizedError('This token does not belong to this report.');
    }
    const project = await this.projects.authenticate(credential);
    if (!project) throw new UnauthorizedError();
    if (!wellFormed) throw new NotFoundError('Report');
    const report = await this.reports.findInProject(project.id, reportId);
    if (!report) throw new NotFoundError('Report');
    return 'project';
  }

  /** Registers another way of asking (the worker's email outbox). */
  listen(listener: QuestionsListener): void {
    this.listeners.push(listener);
  }

  /** After the questions' transaction committed: the listeners act on it (send, queue). */
  async askCommitted(message: ReportMessage): Promise<void> {
    for (const listener of this.listeners) await listener.committed(message);
  }

  /** The agent's conversation: its questions and the reporter's answers (no staff messages). */
  async messages(
    reportId: string,
    manager: EntityManager = this.db.manager,
  ): Promise<AgentConversationMessage[]> {
    const messages = await manager.getRepository(ReportMessage).find({
      where: { reportId, author: In(['agent', 'reporter']) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return messages as AgentConversationMessage[];
  }

  /** The conversation; `clarifyClosedAt` is when the wait for answers timed out, if it did. */
  async view(reportId: string, clarifyClosedAt: Date | null): Promise<ConversationView> {
    const report = await this.reports.find(reportId);
    if (!report) throw new NotFoundError('Report');
    // Everything the reporter was told, staff's messages included.
    const messages = await this.db.getRepository(ReportMessage).find({
      where: { reportId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return {
      reportId,
      status: report.status,
      awaitingReply: openQuestion(messages, clarifyClosedAt) !== null,
      messages: messages.map(toView),
    };
  }

  /** Stores the agent's questions as one message, with its audit entry. */
  async ask(
    manager: EntityManager,
    reportId: string,
    questions: StoredQuestion[],
    body: string,
    channel = 'api',
  ): Promise<ReportMessage> {
    const saved = await manager.save(
      manager.create(ReportMessage, { reportId, author: 'agent', body, questions, channel }),
    );
    await this.reports.audit(
      {
        reportId,
        stage: 'clarify',
        event: 'questions_asked',
        reason: `Asked the reporter ${questions.length} question(s) about ${questions.map((q) => q.key).join(', ')}`,
        details: { messageId: saved.id, keys: questions.map((q) => q.key) },
      },
      manager,
    );
    for (const listener of this.listeners) await listener.asked(manager, saved);
    return saved;
  }

  /**
   * A staff member writes to the reporter: the message joins the conversation (the widget and
   * the API show it), goes out by email where questions do, and is audited. It asks nothing, so
   * the agent's wait for answers is untouched.
   */
  async staffMessage(reportId: string, body: string): Promise<MessageView> {
    const saved = await this.db.transaction(async (manager) => {
      const message = await manager.save(
        manager.create(ReportMessage, {
          reportId,
          author: 'staff',
          body,
          questions: [],
          channel: 'api',
        }),
      );
      await this.reports.audit(
        {
          reportId,
          stage: 'conversation',
          event: 'staff_message',
          reason: `Staff wrote to the reporter (${body.length} characters)`,
          details: { messageId: message.id },
        },
        manager,
      );
      for (const listener of this.listeners) await listener.asked(manager, message);
      return message;
    });
    await this.askCommitted(saved);
    return toView(saved);
  }

  /** Stores the reporter's answer, with its audit entry. */
  async reply(
    manager: EntityManager,
    reportId: string,
    body: string,
    channel: string,
  ): Promise<MessageView> {
    const saved = await manager.save(
      manager.create(ReportMessage, { reportId, author: 'reporter', body, questions: [], channel }),
    );
    await this.reports.audit(
      {
        reportId,
        stage: 'clarify',
        event: 'reporter_replied',
        reason: `The reporter answered (${body.length} characters) by ${channel}`,
        details: { messageId: saved.id, channel },
      },
      manager,
    );
    return toView(saved);
  }

  /** Of these reports, those whose last message is from the agent: report id → that message's id. */
  async lastAgentMessages(reportIds: string[]): Promise<Map<string, string>> {
    if (!reportIds.length) return new Map();
    const rows = await this.db.query<{ report_id: string; id: string }[]>(
      `SELECT last.report_id, last.id
         FROM unnest($1::uuid[]) AS r(id)
         CROSS JOIN LATERAL (
           SELECT m.report_id, m.id, m.author FROM report_messages m
            WHERE m.report_id = r.id AND m.author <> 'staff'
            ORDER BY m.created_at DESC, m.id DESC LIMIT 1
         ) last
        WHERE last.author = 'agent'`,
      [reportIds],
    );
    return new Map(rows.map((r) => [r.report_id, r.id]));
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
