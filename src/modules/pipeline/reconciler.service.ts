import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import {
  clarifyTimeoutJobId,
  pipelineJobId,
  QueueName,
  type ReportJobData,
} from '../../queue/queue.constants';
import { ConversationService } from '../conversation/conversation.service';
import { ACTIVE_STATUSES } from '../reports/report-state-machine';
import { ReportsService, type StaleReport } from '../reports/reports.service';
import { TriageService } from '../triage/triage.service';
import { JOB_FOR_STATUS } from './pipeline.stages';
import { PipelineService } from './pipeline.service';

/** A job in one of these states will still run. */
const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
/** The job of every stage that moves a report on. */
const STAGE_JOBS = [...new Set(Object.values(JOB_FOR_STATUS))];

export interface ReconcileOutcome {
  checked: number;
  requeued: string[];
}

/**
 * Finds reports that sit in an active status with no live job (Redis lost it, a worker died
 * between committing and queueing) and queues them again. Safe on every worker at once: job
 * ids are deterministic, so two reconcilers queue one job.
 *
 * Every active report is looked at, a page at a time in order of its last change. Reports
 * waiting days for their reporter stay the oldest, so a run that stopped at the first page
 * would never see past them: a run goes on page after page until it has seen them all, or its
 * time (half the reconcile period) is up, and the next run carries on from there.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger(ReconcilerService.name);
  /** Where the next run starts; null: from the oldest. */
  private position: string | null = null;

  constructor(
    @InjectQueue(QueueName.Pipeline) private readonly queue: Queue<ReportJobData>,
    private readonly pipeline: PipelineService,
    private readonly reports: ReportsService,
    private readonly conversation: ConversationService,
    private readonly triage: TriageService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async reconcile(): Promise<ReconcileOutcome> {
    const stuckBefore = new Date(Date.now() - this.config.RECONCILE_STUCK_AFTER_MS);
    const deadline = Date.now() + this.config.RECONCILE_EVERY_MS / 2;
    const pageSize = this.config.RECONCILE_PAGE_SIZE;
    const requeued: string[] = [];
    let checked = 0;
    for (;;) {
      const page = await this.reports.stale(ACTIVE_STATUSES, stuckBefore, pageSize, this.position);
      checked += page.length;
      requeued.push(...(await this.requeueStuck(page)));
      if (page.length < pageSize) {
        this.position = null;
        break;
      }
      this.position = page[page.length - 1].position;
      if (Date.now() >= deadline) break;
    }
    if (requeued.length) this.logger.warn({ count: requeued.length }, 'Re-queued stuck reports');
    return { checked, requeued };
  }

  /** Queues again the stage of each of these reports that has no live job; their ids. */
  private async requeueStuck(reports: StaleReport[]): Promise<string[]> {
    const requeued: string[] = [];
    const awaiting = await this.awaitingReply(
      reports.filter((r) => r.status === 'clarifying').map((r) => r.id),
    );
    for (const report of reports) {
      const name = JOB_FOR_STATUS[report.status];
      if (!name) continue;
      const messageId = awaiting.get(report.id);
      // Waiting for the reporter holds no job; only the timeout that ends the wait must exist.
      const jobId = messageId
        ? clarifyTimeoutJobId(report.id, messageId)
        : pipelineJobId(name, report.id);
      const job = await this.queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (LIVE_STATES.has(state)) continue;
      if (!(await this.stillStuck(report, messageId))) continue;
      // Missing, or failed/completed without moving the report (a stalled or lost run):
      // the report's status is the truth, so run the stage again.
      if (job) await job.remove().catch(() => undefined);
      await this.pipeline.enqueue(name, report.id);
      await this.reports.audit({
        reportId: report.id,
        stage: 'reconcile',
        event: 'requeued',
        reason: `Stuck in ${report.status} with ${state === 'missing' ? 'no job' : `a ${state} job`}; queued ${name} again`,
        details: { job: name, jobState: state },
      });
      requeued.push(report.id);
    }
    return requeued;
  }

  /**
   * Whether a report that looked stuck still is, checked after its job was looked up. A live
   * job of any stage means a delivery is still on it: the stage that just moved the report
   * queues the next job itself before it ends (and if its worker dies, BullMQ delivers it
   * again and it does). A report that moved, or was asked a question, since the list was read
   * is not stuck either. Age alone is not enough: a stage's commit and its next job's enqueue
   * can be further apart than RECONCILE_STUCK_AFTER_MS on a loaded machine.
   */
  private async stillStuck(report: StaleReport, messageId: string | undefined): Promise<boolean> {
    for (const name of STAGE_JOBS) {
      if (LIVE_STATES.has(await this.queue.getJobState(pipelineJobId(name, report.id)))) {
        return false;
      }
    }
    const now = await this.reports.find(report.id);
    if (now?.status !== report.status) return false;
    if (now.updatedAt.getTime() !== report.updatedAt.getTime()) return false;
    if (report.status !== 'clarifying') return true;
    return (await this.awaitingReply([report.id])).get(report.id) === messageId;
  }

  /** Of these clarifying reports, those whose last message is an unanswered question: id → message id. */
  private async awaitingReply(ids: string[]): Promise<Map<string, string>> {
    const waiting = await this.conversation.lastAgentMessages(ids);
    const closed = await this.triage.clarifyClosed([...waiting.keys()]);
    for (const id of closed) waiting.delete(id);
    return waiting;
  }
}
