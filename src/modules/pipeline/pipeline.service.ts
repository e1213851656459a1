import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, ErrorCode, NotFoundError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { JITTERED_BACKOFF } from '../../queue/backoff';
import {
  clarifyTimeoutJobId,
  JobName,
  pipelineJobId,
  type PipelineJobName,
  QueueName,
  type ReportJobData,
} from '../../queue/queue.constants';
import type { ReportMessage } from '../conversation/entities/report-message.entity';
import { ConversationService, type MessageView } from '../conversation/conversation.service';
import type { ReportStatus } from '../reports/report-state-machine';
import { canTransition } from '../reports/report-state-machine';
import { ReportsService } from '../reports/reports.service';
import { DuplicateActionsService } from '../trackers/duplicate-actions.service';
import { priorityBasisOf } from '../trackers/ticket-priority';
import type { SentryAttachment } from '../sentry/sentry-attachment';
import { SentryMatchingService } from '../sentry/sentry-matching.service';
import {
  type ChangedTicket,
  type IssueChangeNews,
  TicketsService,
} from '../trackers/tickets.service';
import type { Question } from '../triage/engine/triage.types';
import { TriageService } from '../triage/triage.service';
import { composeDuplicateComment } from '../triage/engine/ticket/duplicate-comment';
import { keptEmails, resolvePolicy } from '../projects/policy';
import { ProjectsService } from '../projects/projects.service';
import { RecordingsService } from '../recordings/recordings.service';
import { ReplayLinksService } from '../replay/replay-links.service';
import { JOB_FOR_STATUS, runsInline } from './pipeline.stages';
import type { Project } from '../projects/entities/project.entity';
import type { Recording } from '../recordings/entities/recording.entity';
import type { Report } from '../reports/entities/report.entity';

/** How long the replay link the app embeds in a report's page stays good. */
const APP_REPLAY_LINK_SECONDS = 15 * 60;

/** Statuses from which a report may be merged into an existing ticket. */
const MERGEABLE: ReportStatus[] = ['deduping', 'needs_human'];

/**
 * The conductor: the only code that changes a report's status (through the kernel) or queues
 * its next job. Capabilities do their work and return what happened; the stages, the front
 * doors (intake, the conversation, webhooks) and people's decisions come here to act on it.
 */
@Injectable()
export class PipelineService implements OnModuleInit {
  private readonly logger = new Logger(PipelineService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(QueueName.Pipeline) private readonly queue: Queue<ReportJobData>,
    @InjectConfig() private readonly config: AppConfig,
    private readonly reports: ReportsService,
    private readonly conversation: ConversationService,
    private readonly triage: TriageService,
    private readonly duplicates: DuplicateActionsService,
    private readonly projects: ProjectsService,
    private readonly recordings: RecordingsService,
    private readonly replayLinks: ReplayLinksService,
    private readonly sentry: SentryMatchingService,
    private readonly tickets: TicketsService,
  ) {}

  /** A person's change of a built-in ticket moves its reports as a tracker's webhook does. */
  onModuleInit(): void {
    this.tickets.onStateChange((manager, change, tickets, deliveryId) =>
      this.ticketsChanged(manager, change, tickets, deliveryId),
    );
  }

  /**
   * Moves the report on and queues the job of the status it reached, if it has one. False,
   * queueing nothing, when the report had already left `from` (a repeated delivery).
   */
  async move(
    reportId: string,
    from: ReportStatus,
    to: ReportStatus,
    stage: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<boolean> {
    const moved = await this.advance(reportId, from, to, stage, reason, details);
    if (moved) await this.enqueueFor(to, reportId);
    return moved;
  }

  /**
   * Moves the report on without queueing: the stage's job queues the next one, or runs it
   * inline (StagesService.run). If it dies in between, BullMQ delivers it again; it finds the
   * report past its stage and queues the job of where the report is.
   */
  advance(
    reportId: string,
    from: ReportStatus,
    to: ReportStatus,
    stage: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<boolean> {
    return this.reports.transition(reportId, from, to, stage, reason, details);
  }

  /** Queues the job that moves a report on from `status`; nothing for a status that waits. */
  async enqueueFor(status: ReportStatus, reportId: string): Promise<void> {
    const job = JOB_FOR_STATUS[status];
    if (job) await this.enqueue(job, reportId);
  }

  /** A report was accepted (intake committed it): its analysis is queued. */
  async accepted(reportId: string): Promise<void> {
    await this.enqueueSoon(JobName.AnalyzeReport, reportId);
  }

  /**
   * A client sent a report again (an idempotent replay): its current stage is queued again, a
   * no-op while that job is queued. A report saved just before the API died thus moves on when
   * the client retries, without waiting for the reconciler.
   */
  async retried(report: { id: string; status: ReportStatus }): Promise<void> {
    const job = JOB_FOR_STATUS[report.status];
    // An inline stage runs in the job before it, which may be running it now: a second job
    // would run it twice at once. A lost one is found by the reconciler.
    if (job && !runsInline(job)) await this.enqueueSoon(job, report.id);
  }

  /**
   * The agent asks the reporter: the questions are stored and counted against the policy's
   * limit in one transaction, then the timeout that ends the wait is scheduled. A crash in
   * between is mended by `ensureClarifyTimeout` on the next delivery.
   */
  async ask(reportId: string, questions: Question[], body: string): Promise<ReportMessage> {
    const message = await this.db.transaction(async (manager) => {
      const saved = await this.conversation.ask(manager, reportId, questions, body);
      await this.triage.countQuestions(manager, reportId, questions.length);
      return saved;
    });
    await this.ensureClarifyTimeout(reportId, message);
    try {
      await this.conversation.askCommitted(message);
    } catch (error) {
      // The question is stored; its mail waits in the outbox for the outbox's sweep.
      this.logger.warn({ reportId, err: error }, 'Could not queue the questions by email');
    }
    return message;
  }

  /** The delayed job that ends the wait for an answer; a no-op when it is already scheduled. */
  async ensureClarifyTimeout(reportId: string, message: ReportMessage): Promise<void> {
    const due = message.createdAt.getTime() + this.config.AGENT_CLARIFY_TIMEOUT_MS;
    await this.schedule(
      JobName.ClarifyTimeout,
      { reportId, messageId: message.id },
      clarifyTimeoutJobId(reportId, message.id),
      due - Date.now(),
    );
  }

  /**
   * The reporter's answer: stored while the report is waiting for one (409 otherwise), the
   * conversation opened again even after a timeout, then the agent runs again with it.
   */
  async answered(
    reportId: string,
    body: string,
    channel: string,
    /** Rows of the way in (the mail that carried the answer) written in the same transaction. */
    stored?: (manager: EntityManager) => Promise<void>,
  ): Promise<MessageView> {
    const message = await this.db.transaction(async (manager) => {
      const report = await this.reports.lock(manager, reportId);
      if (!report) throw new NotFoundError('Report');
      if (report.status !== 'clarifying') {
        throw new DomainError(
          409,
          ErrorCode.ConversationClosed,
          `The report is ${report.status}; the conversation is closed.`,
          { field: 'status', status: report.status },
        );
      }
      const saved = await this.conversation.reply(manager, reportId, body, channel);
      // An answer after the timeout still counts: the conversation opens again.
      await this.triage.reopenClarifying(manager, reportId);
      await stored?.(manager);
      return saved;
    });
    await this.enqueueSoon(JobName.ClarifyReport, reportId);
    return message;
  }

  /**
   * Merges the report into an existing ticket: the ticket hears of it (once per account), the
   * report links to it and becomes a duplicate. Nothing happens unless the report is still
   * deduping or waiting for a person.
   */
  async merge(
    reportId: string,
    ticketId: string,
    reason: string,
    known: {
      report?: Report;
      project?: Project;
      recording?: Recording | null;
      sentryIssue?: SentryAttachment | null;
    } = {},
  ): Promise<void> {
    const report = known.report ?? (await this.reports.withPeople(reportId));
    if (!MERGEABLE.includes(report.status)) return;
    const project = known.project ?? (await this.projects.byId(report.projectId));
    // What this report adds to the ticket's priority: its severity, account and Sentry issue.
    const sentryIssue =
      known.sentryIssue !== undefined
        ? known.sentryIssue
        : ((await this.sentry.find(report.id))?.issue ?? null);
    const proposal = (await this.triage.record(report.id))?.proposal;
    const { ticketKey, announces, raised } = await this.duplicates.announce(
      project,
      report,
      ticketId,
      async () => {
        const recording =
          known.recording !== undefined
            ? known.recording
            : await this.recordings.findForReport(report.id);
        return composeDuplicateComment({
          report,
          recording,
          replayUrl: await this.replayLinks.linkAtFailure(report.id, recording),
          keepEmails: keptEmails(resolvePolicy(project.agentPolicy), report.reporter?.email),
        });
      },
      priorityBasisOf(report, proposal?.severity, sentryIssue, proposal?.severityWhy ?? null),
    );
    const raisedText = raised
      ? `; Priority raised${raised.from ? ` from ${raised.from}` : ''} to ${raised.to}: ${raised.reasons.join('; ')}`
      : '';
    const merged = await this.db.transaction(async (manager) => {
      const counts = await this.duplicates.link(manager, report.id, ticketId);
      const moved = await this.reports.transition(
        report.id,
        report.status,
        'duplicate',
        'dedupe',
        `Duplicate of ${ticketKey}: ${reason}${announces ? '' : ' (this account was already on the ticket; no new comment)'}${raisedText}`,
        { ticket: ticketKey, ...counts, ...(raised ? { priority: raised } : {}) },
        manager,
      );
      if (moved && raised?.to === 'urgent') {
        await this.reports.audit(
          {
            reportId: report.id,
            stage: 'dedupe',
            event: 'urgent_raised',
            reason: `${ticketKey} raised to urgent by this report, on the tracker at once: ${raised.reasons.join('; ')}`,
            details: { ticket: ticketKey, priority: raised },
          },
          manager,
        );
      }
      return moved;
    });
    if (merged && raised?.to === 'urgent') {
      this.logger.warn(
        { reportId: report.id, ticket: ticketKey, priority: raised.to },
        'A duplicate raised its ticket to urgent; someone should look at it now',
      );
    }
  }

  /**
   * The replay for a person reading the report in the app: a signed link at the moment of
   * failure, good for 15 minutes (the page asks again when it loads); null without a kept,
   * analysed recording.
   */
  async replayForPerson(reportId: string): Promise<{ url: string } | null> {
    const recording = await this.recordings.findForReport(reportId);
    if (!recording?.analysis || recording.status === 'refused') return null;
    const failureMs = recording.analysis.failure?.t ?? 0;
    const t = Number.isFinite(failureMs) ? Math.max(0, Math.round(failureMs)) : 0;
    const { exp, sig } = await this.replayLinks.token(reportId, APP_REPLAY_LINK_SECONDS);
    return {
      url: `${this.config.PUBLIC_URL}/replay/${encodeURIComponent(reportId)}?t=${t}&exp=${exp}&sig=${sig}`,
    };
  }

  /**
   * A tracker moved Repro's tickets (in the webhook's transaction): every linked report follows
   * (resolved, closed, or back on reopening), and each change lands in the report's history.
   */
  async ticketsChanged(
    manager: EntityManager,
    change: IssueChangeNews,
    tickets: ChangedTicket[],
    deliveryId: string,
  ): Promise<void> {
    for (const ticket of tickets) {
      const detail =
        change.stateDetail && change.stateDetail !== change.state ? ` (${change.stateDetail})` : '';
      const reason = `${ticket.key} moved to ${change.state}${detail}`;
      const details = {
        ticketId: ticket.id,
        ticketKey: ticket.key,
        provider: change.provider,
        from: ticket.previous,
        to: change.state,
        stateDetail: change.stateDetail,
        open: change.open,
        deliveryId,
      };
      const statuses = new Map(
        (
          await this.reports.statuses(
            ticket.links.map((l) => l.reportId),
            manager,
          )
        ).map((r) => [r.id, r.status]),
      );
      for (const { reportId, relation } of ticket.links) {
        const status = statuses.get(reportId);
        if (!status) continue;
        const target = reportStatusFor(change, relation);
        if (target !== status && canTransition(status, target)) {
          await this.reports.transition(
            reportId,
            status,
            target,
            'tracker',
            reason,
            details,
            manager,
          );
        } else {
          await this.reports.audit(
            { reportId, stage: 'tracker', event: 'ticket_state', reason, details },
            manager,
          );
        }
      }
    }
  }

  /**
   * Queues the job for a stage. Called only after the report's status is committed, so a
   * lost enqueue (Redis down, crash) is found and redone by the reconciler.
   */
  async enqueue(name: PipelineJobName, reportId: string): Promise<void> {
    await this.schedule(name, { reportId }, pipelineJobId(name, reportId), 0);
  }

  /**
   * Queues a pipeline job to run after `delayMs`, with the pipeline's retries; a no-op while a
   * job with this id is pending.
   */
  async schedule(
    name: PipelineJobName,
    data: ReportJobData,
    jobId: string,
    delayMs: number,
  ): Promise<void> {
    await this.queue.add(name, data, {
      jobId,
      delay: Math.max(0, delayMs),
      attempts: this.config.JOB_ATTEMPTS,
      backoff: { type: JITTERED_BACKOFF, delay: this.config.JOB_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /** Enqueue without failing the caller: the report is already safe in PostgreSQL. */
  async enqueueSoon(name: PipelineJobName, reportId: string): Promise<void> {
    try {
      await this.enqueue(name, reportId);
    } catch (error) {
      this.logger.warn(
        { reportId, job: name, err: error },
        'Could not enqueue; the reconciler will pick the report up',
      );
    }
  }
}

/**
 * The report status a ticket state means: done → resolved; closed without a fix (cancelled,
 * not planned, deleted) → closed; open again → back to how the report reached the ticket.
 */
export function reportStatusFor(
  change: Pick<IssueChangeNews, 'open' | 'removed' | 'stateDetail'>,
  relation: 'created' | 'duplicate',
): ReportStatus {
  if (change.open) return relation === 'created' ? 'filed' : 'duplicate';
  const detail = (change.stateDetail ?? '').toLowerCase();
  // 'closed': a built-in ticket a person closed without a fix.
  if (
    change.removed ||
    ['canceled', 'cancelled', 'not_planned', 'duplicate', 'closed'].includes(detail)
  )
    return 'closed';
  return 'resolved';
}
