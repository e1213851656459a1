import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobName, type PipelineJobName } from '../../queue/queue.constants';
import type { RetryLaterError } from '../../queue/retry-later.error';
import { Report } from '../reports/entities/report.entity';
import {
  AnalysisFailedError,
  RecordingAnalysisService,
} from '../recordings/recording-analysis.service';
import { RecordingsService } from '../recordings/recordings.service';
import { DedupeService } from '../dedupe/dedupe.service';
import { SentryMatchingService } from '../sentry/sentry-matching.service';
import { TicketFilingService } from '../trackers/ticket-filing.service';
import { JOB_FOR_STATUS, PipelineService } from './pipeline.service';
import { renderQuestionMessage } from '../triage/engine/deterministic/questions';
import { TriageService } from '../triage/triage.service';
import { unansweredQuestion } from '../conversation/conversation';
import { ConversationService } from '../conversation/conversation.service';
import { isFinal, type ReportStatus } from '../reports/report-state-machine';

export const STAGE_OF_JOB: Record<PipelineJobName, string> = {
  [JobName.AnalyzeReport]: 'analyze',
  [JobName.ClarifyReport]: 'clarify',
  [JobName.ClarifyTimeout]: 'clarify',
  [JobName.DedupeReport]: 'dedupe',
  [JobName.FileTicket]: 'file',
};

/**
 * Runs one stage of one report. Each stage checks the report is still where the job expects
 * it, does its work, then moves the status on and queues the next stage; a second delivery of
 * the same job therefore finds nothing to do.
 */
@Injectable()
export class StagesService {
  private readonly logger = new Logger(StagesService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly pipeline: PipelineService,
    private readonly recordings: RecordingsService,
    private readonly analysis: RecordingAnalysisService,
    private readonly filing: TicketFilingService,
    private readonly sentry: SentryMatchingService,
    private readonly dedupeService: DedupeService,
    private readonly triage: TriageService,
    private readonly conversation: ConversationService,
  ) {}

  async run(
    name: PipelineJobName,
    reportId: string,
    data: { messageId?: string } = {},
  ): Promise<void> {
    const report = await this.db.getRepository(Report).findOneBy({ id: reportId });
    if (!report) {
      this.logger.warn({ reportId, job: name }, 'Report is gone; nothing to do');
      return;
    }
    switch (name) {
      case JobName.AnalyzeReport:
        return this.analyze(report);
      case JobName.ClarifyReport:
        return this.clarify(report);
      case JobName.ClarifyTimeout:
        return this.clarifyTimeout(report, data.messageId);
      case JobName.DedupeReport:
        return this.dedupe(report);
      case JobName.FileTicket:
        return this.file(report);
    }
  }

  /** Notes in the audit log that a stage is waiting (rate limit, destination misconfigured). */
  async waiting(reportId: string, name: PipelineJobName, error: RetryLaterError): Promise<void> {
    await this.pipeline.audit({
      reportId,
      stage: STAGE_OF_JOB[name],
      event: 'waiting',
      reason: `${error.message}; trying again in ${Math.round(error.delayMs / 1000)} s`,
      details: { delayMs: error.delayMs },
    });
  }

  /** Records a permanent failure; later deliveries see a final status and stop. */
  async fail(reportId: string, name: PipelineJobName, reason: string): Promise<void> {
    const report = await this.db.getRepository(Report).findOneBy({ id: reportId });
    if (!report || isFinal(report.status) || report.status === 'needs_human') return;
    await this.pipeline.transition(reportId, report.status, 'failed', STAGE_OF_JOB[name], reason);
  }

  /**
   * True when the report is no longer at this stage. Queues the job of the stage it is at, in
   * case the delivery that moved it crashed before queueing (a no-op when already queued).
   */
  private async skip(
    report: Report,
    name: PipelineJobName,
    expected: ReportStatus[],
  ): Promise<boolean> {
    if (expected.includes(report.status)) return false;
    this.logger.log(
      { reportId: report.id, job: name, status: report.status },
      'Report already past this stage; skipping',
    );
    const current = JOB_FOR_STATUS[report.status];
    if (current && current !== name) await this.pipeline.enqueue(current, report.id);
    return true;
  }

  private async analyze(report: Report): Promise<void> {
    if (await this.skip(report, JobName.AnalyzeReport, ['received', 'analyzing'])) return;
    if (report.status === 'received') {
      await this.pipeline.transition(
        report.id,
        'received',
        'analyzing',
        'analyze',
        'Analysis started',
      );
    }
    const { reason, details } = await this.analyzeRecording(report);
    await this.matchSentry(report);
    await this.dedupeService.storeSignals(report.id);
    await this.pipeline.transition(
      report.id,
      'analyzing',
      'clarifying',
      'analyze',
      reason,
      details,
    );
    await this.pipeline.enqueue(JobName.ClarifyReport, report.id);
  }

  /** What the recording shows, stored with the report; a broken analysis does not stop the report. */
  private async analyzeRecording(
    report: Report,
  ): Promise<{ reason: string; details: Record<string, unknown> }> {
    const recording = await this.recordings.summary(report.id);
    if (!recording) return { reason: 'No recording attached', details: {} };
    if (recording.status === 'refused') {
      return {
        reason: `Recording refused at upload (${recording.refusedReason}); going on without it`,
        details: {},
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
      };
    }
    if (!analysis) return { reason: 'Recording named, but no chunks arrived', details: {} };
    const { steps, errors, failedRequests, signals, failure, stats } = analysis;
    return {
      reason: `Recording analysed: ${steps.length} steps, ${errors.length} errors, ${failedRequests.length} failed requests, ${signals.length} signals`,
      details: {
        events: stats.events,
        durationMs: stats.ms,
        failure: failure ? { t: failure.t, reason: failure.reason, url: failure.url } : null,
        signals: signals.map((s) => s.kind),
      },
    };
  }

  /**
   * The Sentry issue behind the report, after the recording (whose errors it compares). Never
   * fails the stage: Sentry down or rate limited is recorded, and the report goes on.
   */
  private async matchSentry(report: Report): Promise<void> {
    const outcome = await this.sentry.match(report.id);
    if (!outcome) return;
    await this.pipeline.audit({
      reportId: report.id,
      stage: 'sentry',
      event: 'sentry_match',
      reason: outcome.reason,
      details: outcome.details,
    });
  }

  /**
   * The triage agent's turn: it builds the fact picture and either asks the reporter (the
   * report waits in `clarifying`, holding no job, until an answer or the timeout), hands the
   * report to a person, or lets it go on to dedupe and filing.
   */
  private async clarify(report: Report, rerun = 0): Promise<void> {
    if (await this.skip(report, JobName.ClarifyReport, ['clarifying'])) return;
    const pending = await this.conversation.messages(report.id);
    const open = await this.conversation.openQuestion(report.id, pending);
    if (open) {
      // A repeated delivery while the reporter has not answered: only make sure the wait ends.
      await this.conversation.ensureTimeout(report.id, open);
      return;
    }
    const { result, policy, reporterName, clarifyClosed } = await this.triage.run(report.id);
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
          await this.conversation.ask(report.id, decision.questions, body);
          return;
        }
        // Nothing left to ask: go on with what is known.
        return this.toDedupe(report.id, `No questions left to ask: ${decision.reason}`);
      }
      case 'escalate':
        await this.pipeline.transition(
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
          await this.pipeline.transition(
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
    if (
      await this.pipeline.transition(reportId, 'clarifying', 'deduping', 'clarify', reason, details)
    ) {
      await this.pipeline.enqueue(JobName.DedupeReport, reportId);
    }
  }

  /** The reporter has not answered `messageId` in time: no more questions, go on per policy. */
  private async clarifyTimeout(report: Report, messageId: string | undefined): Promise<void> {
    if (report.status !== 'clarifying' || !messageId) return;
    const messages = await this.conversation.messages(report.id);
    if (unansweredQuestion(messages)?.id !== messageId) return;
    const closed = await this.triage.closeClarifying(report.id);
    if (!closed) return;
    await this.pipeline.audit({
      reportId: report.id,
      stage: 'clarify',
      event: 'clarify_timeout',
      reason: 'The reporter did not answer in time; no more questions',
      details: { messageId },
    });
    await this.pipeline.enqueue(JobName.ClarifyReport, report.id);
  }

  private async dedupe(report: Report): Promise<void> {
    if (await this.skip(report, JobName.DedupeReport, ['deduping'])) return;
    await this.dedupeService.run(report.id);
  }

  private async file(report: Report): Promise<void> {
    if (await this.skip(report, JobName.FileTicket, ['filing'])) return;
    await this.filing.fileNew(report.id);
  }
}
