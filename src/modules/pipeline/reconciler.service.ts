import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource, In, LessThan } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import {
  clarifyTimeoutJobId,
  pipelineJobId,
  QueueName,
  type ReportJobData,
} from '../../queue/queue.constants';
import { Report } from '../reports/entities/report.entity';
import { JOB_FOR_STATUS, PipelineService } from './pipeline.service';
import { ACTIVE_STATUSES } from '../reports/report-state-machine';

const BATCH = 500;

export interface ReconcileOutcome {
  checked: number;
  requeued: string[];
}

/**
 * Finds reports that sit in an active status with no live job (Redis lost it, a worker died
 * between committing and queueing) and queues them again. Safe on every worker at once: job
 * ids are deterministic, so two reconcilers queue one job.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger(ReconcilerService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(QueueName.Pipeline) private readonly queue: Queue<ReportJobData>,
    private readonly pipeline: PipelineService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async reconcile(): Promise<ReconcileOutcome> {
    const stuckBefore = new Date(Date.now() - this.config.RECONCILE_STUCK_AFTER_MS);
    const reports = await this.db.getRepository(Report).find({
      select: { id: true, status: true },
      where: { status: In([...ACTIVE_STATUSES]), updatedAt: LessThan(stuckBefore) },
      order: { updatedAt: 'ASC' },
      take: BATCH,
    });
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
      if (
        state === 'active' ||
        state === 'waiting' ||
        state === 'delayed' ||
        state === 'prioritized' ||
        state === 'waiting-children'
      ) {
        continue;
      }
      // Missing, or failed/completed without moving the report (a stalled or lost run):
      // the report's status is the truth, so run the stage again.
      if (job) await job.remove().catch(() => undefined);
      await this.pipeline.enqueue(name, report.id);
      await this.pipeline.audit({
        reportId: report.id,
        stage: 'reconcile',
        event: 'requeued',
        reason: `Stuck in ${report.status} with ${state === 'missing' ? 'no job' : `a ${state} job`}; queued ${name} again`,
        details: { job: name, jobState: state },
      });
      requeued.push(report.id);
    }
    if (requeued.length) this.logger.warn({ count: requeued.length }, 'Re-queued stuck reports');
    return { checked: reports.length, requeued };
  }

  /** Of these clarifying reports, those whose last message is an unanswered question: id → message id. */
  private async awaitingReply(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.db.query<{ report_id: string; id: string }[]>(
      `SELECT last.report_id, last.id
         FROM unnest($1::uuid[]) AS r(id)
         CROSS JOIN LATERAL (
           SELECT m.report_id, m.id, m.author FROM report_messages m
            WHERE m.report_id = r.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1
         ) last
        WHERE last.author = 'agent'
          AND NOT EXISTS (SELECT 1 FROM report_triage t
                           WHERE t.report_id = r.id AND t.clarify_closed_at IS NOT NULL)`,
      [ids],
    );
    return new Map(rows.map((r) => [r.report_id, r.id]));
  }
}
