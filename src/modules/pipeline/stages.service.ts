import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobName, type PipelineJobName, type ReportJobData } from '../../queue/queue.constants';
import type { RetryLaterError } from '../../queue/retry-later.error';
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
import { isFinal } from '../reports/report-state-machine';
import { ReportsService } from '../reports/reports.service';
import { SentryMatchingService, type SentryMatchOutcome } from '../sentry/sentry-matching.service';
import { TicketFilingService } from '../trackers/ticket-filing.service';
import { renderQuestionMessage } from '../triage/engine/deterministic/questions';
import { composeDraft } from '../triage/engine/ticket/ticket-draft';
import { TriageService } from '../triage/triage.service';
import { JOB_FOR_STATUS, jobApplies, STAGE_OF_JOB } from './pipeline.stages';
import { PipelineService } from './pipeline.service';

type Handler = (report: Report, data: ReportJobData) => Promise<void>;

/**
 * Runs one stage of one report. Each handler checks the report is still where the job expects
 * it, asks the capability to do its work, then acts on the outcome: moves the status on and
 * queues the next stage. A second delivery of the same job therefore finds nothing to do.
 */
@Injectable()
export class StagesService {
  private readonly logger = new Logger(StagesService.name);

  /** One handler per job of the pipeline table (pipeline.stages.ts). */
  private readonly handlers: Record<PipelineJobName, Handler> = {
    [JobName.AnalyzeReport]: (report) => this.analyze(report),
    [JobName.ClarifyReport]: (report) => this.clarify(report),
    [JobName.ClarifyTimeout]: (report, data) => this.clarifyTimeout(report, data.messageId),
    [JobName.DedupeReport]: (report) => this.dedupe(report),
    [JobName.FileTicket]: (report) => this.file(report),
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

  async run(name: PipelineJobName, reportId: string, data: ReportJobData): Promise<void> {
    // With its people, read once here: every stage's capabilities are handed this report.
    const report = await this.reports.findWithPeople(reportId);
    if (!report) {
      this.logger.warn({ reportId, job: name }, 'Report is gone; nothing to do');
      return;
    }
    if (name !== JobName.ClarifyTimeout && (await this.skip(report, name))) return;
    await this.handlers[name](report, data);
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

  private async analyze(report: Report): Promise<void> {
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
    await this.dedupeService.storeSignals(report.id, {
      report,
      analysis,
      sentryIssue: match?.issue ?? null,
    });
    await this.pipeline.move(report.id, 'analyzing', 'clarifying', 'analyze', reason, details);
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
  private async clarify(report: Report, rerun = 0): Promise<void> {
    const pending = await this.conversation.messages(report.id);
    const record = await this.triage.record(report.id);
    const open = openQuestion(pending, record?.clarifyClosedAt ?? null);
    if (open) {
      // A repeated delivery while the reporter has not answered: only make sure the wait ends.
      await this.pipeline.ensureClarifyTimeout(report.id, open);
      return;
    }
    const { result, policy, reporterName, clarifyClosed } = await this.triage.run(
      report.id,
      { searchSimilarIssues: (query) => this.dedupeService.similar(report.projectId, query) },
      { report, record, messages: pending },
    );
    // An answer that came in while the agent ran (its job was busy, so the answer queued none)
    // is read by running again rather than left unread.
    const now = await this.conversation.messages(report.id);
    if (now.length > pending.length && now.at(-1)?.author === 'reporter' && rerun < 2) {
      return this.clarify(report, rerun + 1);
    }
    const decision = result.decision;
    switch (decision.kind) {
      case 'ask': {
        if (decision.questions.length) {
          const body = renderQuestionMessage(decision.questions, reporterName);
          await this.pipeline.ask(report.id, decision.questions, body);
          return;
        }
        // Nothing left to ask: go on with what is known.
        await this.toDedupe(report.id, `No questions left to ask: ${decision.reason}`);
        return;
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
        return;
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
          return;
        }
        await this.toDedupe(
          report.id,
          clarifyClosed
            ? `The reporter did not answer in time; going on with what is known (${decision.reason})`
            : decision.reason,
          { decision: decision.kind, confidence: decision.confidence },
        );
      }
    }
  }

  private async toDedupe(
    reportId: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.pipeline.move(reportId, 'clarifying', 'deduping', 'clarify', reason, details);
  }

  /** The reporter has not answered `messageId` in time: no more questions, go on per policy. */
  private async clarifyTimeout(report: Report, messageId: string | undefined): Promise<void> {
    if (report.status !== 'clarifying' || !messageId) return;
    const messages = await this.conversation.messages(report.id);
    if (unansweredQuestion(messages)?.id !== messageId) return;
    const closed = await this.triage.closeClarifying(report.id);
    if (!closed) return;
    await this.reports.audit({
      reportId: report.id,
      stage: 'clarify',
      event: 'clarify_timeout',
      reason: 'The reporter did not answer in time; no more questions',
      details: { messageId },
    });
    await this.pipeline.enqueue(JobName.ClarifyReport, report.id);
  }

  /** Dedupe decides; the report is filed, merged, or handed to a person. */
  private async dedupe(report: Report): Promise<void> {
    const outcome = await this.dedupeService.run(report.id, { report });
    switch (outcome.kind) {
      case 'new':
        await this.pipeline.move(
          report.id,
          'deduping',
          'filing',
          'dedupe',
          outcome.reason,
          outcome.details,
        );
        return;
      case 'merge':
        await this.pipeline.merge(report.id, outcome.ticketId, outcome.reason);
        return;
      case 'person':
        await this.pipeline.move(
          report.id,
          'deduping',
          'needs_human',
          outcome.stage,
          outcome.reason,
          outcome.details,
        );
    }
  }

  /**
   * The ticket is composed from what every capability knows (redacted), delivered to the
   * tracker (idempotently), then recorded and the report filed in one transaction.
   */
  private async file(full: Report): Promise<void> {
    const project = await this.projects.byId(full.projectId);
    // Read once: the draft and the evidence links both need the recording and its replay link.
    const recording = await this.recordings.findForReport(full.id);
    const replayUrl = await this.replayLinks.linkAtFailure(full.id, recording);
    const sentryIssue = (await this.sentry.find(full.id))?.issue ?? null;
    const triage = await this.triage.record(full.id);
    const draft = composeDraft({
      report: full,
      recording,
      replayUrl,
      sentryIssue,
      proposal: triage?.proposal ?? null,
      facts: triage?.facts ?? null,
      keepEmails: keptEmails(resolvePolicy(project.agentPolicy), full.reporter?.email),
    });
    const delivered = await this.filing.deliver(project, full, draft, { replayUrl, sentryIssue });
    await this.db.transaction(async (manager) => {
      await this.filing.record(manager, full, delivered);
      await this.reports.transition(
        full.id,
        'filing',
        'filed',
        'file',
        `Filed as ${delivered.issue.key}`,
        { provider: delivered.provider, key: delivered.issue.key, url: delivered.issue.url },
        manager,
      );
    });
  }
}
