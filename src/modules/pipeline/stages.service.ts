import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  JobName,
  pipelineJobId,
  type PipelineJobName,
  type ReportJobData,
} from '../../queue/queue.constants';
import { RetryLaterError } from '../../queue/retry-later.error';
import { unansweredQuestion, openQuestion } from '../conversation/conversation';
import { ConversationService } from '../conversation/conversation.service';
import { DedupeService } from '../dedupe/dedupe.service';
import { keptEmails, resolvePolicy } from '../projects/policy';
import { ProjectsService } from '../projects/projects.service';
import {
  AnalysisFailedError,
  RecordingAnalysisService,
} from '../recordings/recording-analysis.service';
import type { RecordingAnalysis } from '../recordings/analyzer/types';
import { RecordingsService } from '../recordings/recordings.service';
import { ReplayLinksService } from '../replay/replay-links.service';
import type { Report } from '../reports/entities/report.entity';
import { isFinal, type ReportStatus } from '../reports/report-state-machine';
import { ReportsService } from '../reports/reports.service';
import type { SentryAttachment } from '../sentry/sentry-attachment';
import { SentryMatchingService, type SentryMatchOutcome } from '../sentry/sentry-matching.service';
import { TicketFilingService } from '../trackers/ticket-filing.service';
import { decideTicketPriority, priorityBasisOf } from '../trackers/ticket-priority';
import { foreignLanguage, renderQuestionMessage } from '../triage/engine/deterministic/questions';
import type { EmailImageLink } from '../triage/engine/ticket/ticket-body';
import { composeDraft } from '../triage/engine/ticket/ticket-draft';
import { TriageService } from '../triage/triage.service';
import { JOB_FOR_STATUS, jobApplies, runsInline, STAGE_OF_JOB } from './pipeline.stages';
import { PipelineService } from './pipeline.service';
import type { Project } from '../projects/entities/project.entity';
import type { Recording } from '../recordings/entities/recording.entity';
import type { ReportTriage } from '../triage/entities/report-triage.entity';

/**
 * What an earlier stage of the same job found, handed to the next instead of read again.
 * Absent (undefined) when the job started at a later stage: each reads its own then.
 */
interface Carried {
  /** The recording's analysis as stored (null: none to use). */
  analysis?: RecordingAnalysis | null;
  /** The Sentry issue matching attached (null: none). */
  sentryIssue?: SentryAttachment | null;
  /** The report's project, as read at the start of the stage that read it. */
  project?: Project;
  /** The recording (null: none), as read by the agent's stage. */
  recording?: Recording | null;
  /** The triage record as the agent's run stored it. */
  triage?: ReportTriage | null;
}

/**
 * A stage's handler. It returns the status it moved the report on to (without queueing: `run`
 * queues the next job or runs it inline), or null when the report waits, is done, or its next
 * job was queued already.
 */
type Handler = (
  report: Report,
  data: ReportJobData,
  carried: Carried,
) => Promise<ReportStatus | null>;

/** Signed links to the images of the mail a report came from, for its ticket. */
export type EmailImageLinks = (reportId: string) => Promise<EmailImageLink[]>;

/**
 * Runs one stage of one report. Each handler checks the report is still where the job expects
 * it, asks the capability to do its work, then acts on the outcome: moves the status on and
 * queues the next stage. A second delivery of the same job therefore finds nothing to do.
 */
@Injectable()
export class StagesService {
  private readonly logger = new Logger(StagesService.name);
  /** Set by the email attachments module, which sits above the pipeline (no import this way). */
  private emailImages: EmailImageLinks | null = null;

  /** One handler per job of the pipeline table (pipeline.stages.ts). */
  private readonly handlers: Record<PipelineJobName, Handler> = {
    [JobName.AnalyzeReport]: (report) => this.analyze(report),
    [JobName.ClarifyReport]: (report, _, carried) => this.clarify(report, carried),
    [JobName.ClarifyTimeout]: (report, data) => this.clarifyTimeout(report, data.messageId),
    [JobName.DedupeReport]: (report, _, carried) => this.dedupe(report, carried),
    [JobName.FileTicket]: (report, _, carried) => this.file(report, carried),
  };

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly pipeline: PipelineService,
    private readonly reports: ReportsService,
    private readonly projects: ProjectsService,
    private readonly recordings: RecordingsService,
    private readonly analysis: RecordingAnalysisService,
    private readonly replayLinks: ReplayLinksService,
    private readonly filing: TicketFilingService,
    private readonly sentry: SentryMatchingService,
    private readonly dedupeService: DedupeService,
    private readonly triage: TriageService,
    private readonly conversation: ConversationService,
  ) {}

  /** The email attachments module hands the pipeline its image links at start. */
  provideEmailImages(links: EmailImageLinks): void {
    this.emailImages = links;
  }

  async run(name: PipelineJobName, reportId: string, data: ReportJobData): Promise<void> {
    // With its people, read once here: every stage's capabilities are handed this report.
    const report = await this.reports.findWithPeople(reportId);
    if (!report) {
      this.logger.warn({ reportId, job: name }, 'Report is gone; nothing to do');
      return;
    }
    if (name !== JobName.ClarifyTimeout && (await this.skip(report, name))) return;
    const carried: Carried = {};
    let next = await this.handlers[name](report, data, carried);
    // The next stage runs here when it is inline: a trip through the queue costs Redis round
    // trips and a second read of the report, and it reuses what this stage found.
    while (next) {
      const job = JOB_FOR_STATUS[next];
      if (!job) return;
      if (!runsInline(job)) {
        await this.pipeline.enqueue(job, reportId);
        return;
      }
      report.status = next;
      try {
        next = await this.handlers[job](report, { reportId }, carried);
      } catch (error) {
        // The stage failed after this job's own stage was done: it goes on in a job of its own,
        // with that job's attempts, backoff and waiting, as if it had been queued.
        await this.handOff(job, reportId, error);
        return;
      }
    }
  }

  /** Queues `job` to run a stage that failed in an earlier stage's job (see `run`). */
  private async handOff(job: PipelineJobName, reportId: string, error: unknown): Promise<void> {
    if (error instanceof RetryLaterError) {
      await this.waiting(reportId, job, error);
      await this.pipeline.schedule(job, { reportId }, pipelineJobId(job, reportId), error.delayMs);
      return;
    }
    this.logger.warn(
      { reportId, job, err: error instanceof Error ? error.message : String(error) },
      'Stage failed after the previous one in the same job; it goes on in its own job',
    );
    await this.pipeline.enqueue(job, reportId);
  }

  /**
   * Notes in the audit log that a stage is waiting (rate limit, destination misconfigured, an
   * earlier report): once per stretch of waiting, not once per retry.
   */
  async waiting(reportId: string, name: PipelineJobName, error: RetryLaterError): Promise<void> {
    const last = await this.reports.lastEvent(reportId);
    if (last?.event === 'waiting' && last.stage === STAGE_OF_JOB[name]) return;
    await this.reports.audit({
      reportId,
      stage: STAGE_OF_JOB[name],
      event: 'waiting',
      reason: `${error.message}; trying again in ${Math.round(error.delayMs / 1000)} s`,
      details: { delayMs: error.delayMs },
    });
  }

  /** Records a permanent failure; later deliveries see a final status and stop. */
  async fail(reportId: string, name: PipelineJobName, reason: string): Promise<void> {
    const report = await this.reports.find(reportId);
    if (!report || isFinal(report.status) || report.status === 'needs_human') return;
    await this.reports.transition(reportId, report.status, 'failed', STAGE_OF_JOB[name], reason);
  }

  /**
   * True when the report is no longer at this job's stage. Queues the job of the stage it is
   * at, in case the delivery that moved it crashed before queueing (a no-op when queued).
   */
  private async skip(report: Report, name: PipelineJobName): Promise<boolean> {
    if (jobApplies(name, report.status)) return false;
    this.logger.log(
      { reportId: report.id, job: name, status: report.status },
      'Report already past this stage; skipping',
    );
    const current = JOB_FOR_STATUS[report.status];
    if (current && current !== name) await this.pipeline.enqueue(current, report.id);
    return true;
  }

  private async analyze(report: Report): Promise<ReportStatus | null> {
    if (report.status === 'received') {
      await this.reports.transition(
        report.id,
        'received',
        'analyzing',
        'analyze',
        'Analysis started',
      );
    }
    const { reason, details, analysis } = await this.analyzeRecording(report);
    const match = await this.matchSentry(report, analysis);
    // Without Sentry there is no match yet: only the triage agent's lookups, later, attach one.
    const sentryIssue = match?.issue ?? null;
    await this.dedupeService.storeSignals(report.id, { report, analysis, sentryIssue });
    return this.advance(report.id, 'analyzing', 'clarifying', 'analyze', reason, details);
  }

  /** Moves the report on for the next stage to run in this job; null if it had moved already. */
  private async advance(
    reportId: string,
    from: ReportStatus,
    to: ReportStatus,
    stage: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<ReportStatus | null> {
    return (await this.pipeline.advance(reportId, from, to, stage, reason, details)) ? to : null;
  }

  /** What the recording shows, stored with the report; a broken analysis does not stop the report. */
  private async analyzeRecording(report: Report): Promise<{
    reason: string;
    details: Record<string, unknown>;
    /** As stored with the recording (null when there is none to use). */
    analysis: RecordingAnalysis | null;
  }> {
    const recording = await this.recordings.summary(report.id);
    if (!recording) return { reason: 'No recording attached', details: {}, analysis: null };
    if (recording.status === 'refused') {
      return {
        reason: `Recording refused at upload (${recording.refusedReason}); going on without it`,
        details: {},
        analysis: null,
      };
    }
    let analysis;
    try {
      analysis = await this.analysis.analyze(report.id, report.projectId, {
        userAgent: report.userAgent,
        viewport: report.client.viewport ?? null,
        locale: report.client.locale ?? null,
        timezone: report.client.timezone ?? null,
      });
    } catch (error) {
      if (!(error instanceof AnalysisFailedError)) throw error;
      return {
        reason: `Recording could not be analysed (${error.message}); going on without it`,
        details: {},
        analysis: null,
      };
    }
    if (!analysis) {
      return { reason: 'Recording named, but no chunks arrived', details: {}, analysis: null };
    }
    const { steps, errors, failedRequests, signals, failure, stats } = analysis;
    return {
      reason: `Recording analysed: ${steps.length} steps, ${errors.length} errors, ${failedRequests.length} failed requests, ${signals.length} signals`,
      details: {
        events: stats.events,
        durationMs: stats.ms,
        failure: failure ? { t: failure.t, reason: failure.reason, url: failure.url } : null,
        signals: signals.map((s) => s.kind),
      },
      analysis,
    };
  }

  /**
   * The Sentry issue behind the report, after the recording (whose errors it compares). Never
   * fails the stage: Sentry down or rate limited is recorded, and the report goes on.
   */
  private async matchSentry(
    report: Report,
    analysis: RecordingAnalysis | null,
  ): Promise<SentryMatchOutcome | null> {
    const outcome = await this.sentry.match(report.id, { report, analysis });
    if (!outcome) return null;
    await this.reports.audit({
      reportId: report.id,
      stage: 'sentry',
      event: 'sentry_match',
      reason: outcome.reason,
      details: outcome.details,
    });
    return outcome;
  }

  /**
   * The triage agent's turn: it builds the fact picture and either asks the reporter (the
   * report waits in `clarifying`, holding no job, until an answer or the timeout), hands the
   * report to a person, or lets it go on to dedupe and filing.
   */
  private async clarify(report: Report, carried: Carried, rerun = 0): Promise<ReportStatus | null> {
    const pending = await this.conversation.messages(report.id);
    const record = await this.triage.record(report.id);
    const open = openQuestion(pending, record?.clarifyClosedAt ?? null);
    if (open) {
      // A repeated delivery while the reporter has not answered: only make sure the wait ends.
      await this.pipeline.ensureClarifyTimeout(report.id, open);
      return null;
    }
    // Read here rather than by the agent, so that dedupe and filing after it have them too.
    const evidence = await this.triage.evidence(report.id);
    Object.assign(carried, evidence);
    carried.project = await this.projects.byId(report.projectId);
    const {
      result,
      policy,
      reporterName,
      clarifyClosed,
      record: stored,
    } = await this.triage.run(
      report.id,
      { searchSimilarIssues: (query) => this.dedupeService.similar(report.projectId, query) },
      { report, record, messages: pending, evidence, project: carried.project },
    );
    carried.triage = stored;
    // The LLM may have attached a Sentry issue it looked up itself: later stages read it.
    if (result.engine === 'llm') delete carried.sentryIssue;
    // An answer that came in while the agent ran (its job was busy, so the answer queued none)
    // is read by running again rather than left unread.
    const now = await this.conversation.messages(report.id);
    if (now.length > pending.length && now.at(-1)?.author === 'reporter' && rerun < 2) {
      return this.clarify(report, carried, rerun + 1);
    }
    const decision = result.decision;
    switch (decision.kind) {
      case 'ask': {
        if (decision.questions.length) {
          const body = renderQuestionMessage(decision.questions, reporterName, {
            // The greeting is English; a reporter who wrote in another language may answer in it.
            ownLanguage: foreignLanguage(report.description),
          });
          await this.pipeline.ask(report.id, decision.questions, body);
          return null;
        }
        // Nothing left to ask: go on with what is known.
        return this.toDedupe(report.id, `No questions left to ask: ${decision.reason}`);
      }
      case 'escalate':
        await this.pipeline.move(
          report.id,
          'clarifying',
          'needs_human',
          'clarify',
          `The agent hands the report to a person: ${decision.reason}`,
          { proposal: decision.ticket },
        );
        return null;
      default: {
        // The wait ended without an answer (an answer reopens it): go on, or a person, by policy.
        if (clarifyClosed && policy.onClarifyTimeout === 'needs_human') {
          await this.pipeline.move(
            report.id,
            'clarifying',
            'needs_human',
            'clarify',
            'The reporter did not answer in time; by policy a person takes over with the proposed ticket',
            { proposal: decision.ticket },
          );
          return null;
        }
        return this.toDedupe(
          report.id,
          clarifyClosed
            ? `The reporter did not answer in time; going on with what is known (${decision.reason})`
            : decision.reason,
          { decision: decision.kind, confidence: decision.confidence },
        );
      }
    }
  }

  private toDedupe(
    reportId: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<ReportStatus | null> {
    return this.advance(reportId, 'clarifying', 'deduping', 'clarify', reason, details);
  }

  /** The reporter has not answered `messageId` in time: no more questions, go on per policy. */
  private async clarifyTimeout(
    report: Report,
    messageId: string | undefined,
  ): Promise<ReportStatus | null> {
    if (report.status !== 'clarifying' || !messageId) return null;
    const messages = await this.conversation.messages(report.id);
    if (unansweredQuestion(messages)?.id !== messageId) return null;
    const closed = await this.triage.closeClarifying(report.id);
    if (!closed) return null;
    await this.reports.audit({
      reportId: report.id,
      stage: 'clarify',
      event: 'clarify_timeout',
      reason: 'The reporter did not answer in time; no more questions',
      details: { messageId },
    });
    await this.pipeline.enqueue(JobName.ClarifyReport, report.id);
    return null;
  }

  /** Dedupe decides; the report is filed, merged, or handed to a person. */
  private async dedupe(report: Report, carried: Carried): Promise<ReportStatus | null> {
    const outcome = await this.dedupeService.run(report.id, { report, ...carried });
    switch (outcome.kind) {
      case 'new':
        return this.advance(
          report.id,
          'deduping',
          'filing',
          'dedupe',
          outcome.reason,
          outcome.details,
        );
      case 'merge':
        await this.pipeline.merge(report.id, outcome.ticketId, outcome.reason, {
          report,
          project: carried.project,
          recording: carried.recording,
          sentryIssue: carried.sentryIssue,
        });
        return null;
      case 'person':
        await this.pipeline.move(
          report.id,
          'deduping',
          'needs_human',
          outcome.stage,
          outcome.reason,
          outcome.details,
        );
        return null;
    }
  }

  /**
   * The ticket is composed from what every capability knows (redacted), delivered to the
   * tracker (idempotently), then recorded and the report filed in one transaction.
   */
  private async file(full: Report, carried: Carried): Promise<null> {
    const project = carried.project ?? (await this.projects.byId(full.projectId));
    // Read once: the draft and the evidence links both need the recording and its replay link.
    const recording =
      carried.recording !== undefined
        ? carried.recording
        : await this.recordings.findForReport(full.id);
    const replayUrl = await this.replayLinks.linkAtFailure(full.id, recording);
    const emailImages =
      full.source === 'email' && this.emailImages ? await this.emailImages(full.id) : null;
    const sentryIssue =
      carried.sentryIssue !== undefined
        ? carried.sentryIssue
        : ((await this.sentry.find(full.id))?.issue ?? null);
    const triage =
      carried.triage !== undefined ? carried.triage : await this.triage.record(full.id);
    // A new ticket: this report is its one report, from one account.
    const priority = decideTicketPriority(
      priorityBasisOf(
        full,
        triage?.proposal?.severity,
        sentryIssue,
        triage?.proposal?.severityWhy ?? null,
      ),
      { reports: 1, accounts: 1 },
    );
    const draft = composeDraft({
      report: full,
      recording,
      replayUrl,
      emailImages,
      sentryIssue,
      proposal: triage?.proposal ?? null,
      facts: triage?.facts ?? null,
      keepEmails: keptEmails(resolvePolicy(project.agentPolicy), full.reporter?.email),
      priority: { level: priority.level, reasons: priority.reasons },
    });
    const delivered = await this.filing.deliver(
      project,
      full,
      draft,
      { replayUrl, sentryIssue },
      priority,
    );
    const { key, url } = delivered.issue;
    // No person approved it (the default policy lets urgent reports through): someone is told.
    const urgentUnapproved =
      priority.level === 'urgent' && !triage?.humanDecision?.action.startsWith('approve');
    const filed = await this.db.transaction(async (manager) => {
      await this.filing.record(manager, full, delivered);
      const moved = await this.reports.transition(
        full.id,
        'filing',
        'filed',
        'file',
        `Filed as ${key} (priority ${priority.level})`,
        { provider: delivered.provider, key, url, priority: priority.level },
        manager,
      );
      if (moved && urgentUnapproved) {
        await this.reports.audit(
          {
            reportId: full.id,
            stage: 'file',
            event: 'urgent_filed',
            reason: `Urgent ticket ${key} filed without waiting for a person: ${priority.reasons.join('; ')}`,
            details: { key, url, priority: priority.level, reasons: priority.reasons },
          },
          manager,
        );
      }
      return moved;
    });
    if (filed && urgentUnapproved) {
      // For whoever watches the logs; no customer text (the reasons name a tier at most).
      this.logger.warn(
        { reportId: full.id, ticket: key, priority: priority.level },
        'Urgent ticket filed without a person; someone should look at it now',
      );
    }
    return null;
  }
}
