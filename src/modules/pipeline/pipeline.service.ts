import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { JITTERED_BACKOFF } from '../../queue/backoff';
import {
  JobName,
  pipelineJobId,
  type PipelineJobName,
  QueueName,
  type ReportJobData,
} from '../../queue/queue.constants';
import { Report } from '../reports/entities/report.entity';
import { PipelineEvent } from '../reports/entities/pipeline-event.entity';
import { assertTransition, type ReportStatus } from '../reports/report-state-machine';

export interface AuditEntry {
  reportId: string;
  stage: string;
  event: string;
  reason: string;
  fromStatus?: ReportStatus | null;
  toStatus?: ReportStatus | null;
  details?: Record<string, unknown>;
}

/** The job that moves a report on from each active status. */
export const JOB_FOR_STATUS: Partial<Record<ReportStatus, PipelineJobName>> = {
  received: JobName.AnalyzeReport,
  analyzing: JobName.AnalyzeReport,
  clarifying: JobName.ClarifyReport,
  deduping: JobName.DedupeReport,
  filing: JobName.FileTicket,
};

/** Report status changes, the audit log, and enqueueing: the pipeline's shared plumbing. */
@Injectable()
export class PipelineService {
  private readonly logger = new Logger(PipelineService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(QueueName.Pipeline) private readonly queue: Queue<ReportJobData>,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async audit(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.save(
      manager.create(PipelineEvent, {
        reportId: entry.reportId,
        stage: entry.stage,
        event: entry.event,
        reason: entry.reason,
        fromStatus: entry.fromStatus ?? null,
        toStatus: entry.toStatus ?? null,
        details: entry.details ?? {},
      }),
    );
  }

  /**
   * Moves a report from `from` to `to` and audits it, atomically. Returns false, changing
   * nothing, when the report is no longer in `from` (another delivery of the job got there
   * first): that is how every stage stays safe to run twice.
   */
  async transition(
    reportId: string,
    from: ReportStatus,
    to: ReportStatus,
    stage: string,
    reason: string,
    details: Record<string, unknown> = {},
    manager?: EntityManager,
  ): Promise<boolean> {
    assertTransition(from, to);
    const run = async (m: EntityManager) => {
      const result = await m
        .createQueryBuilder()
        .update(Report)
        .set({ status: to })
        .where('id = :reportId AND status = :from', { reportId, from })
        .execute();
      if (!result.affected) return false;
      await this.audit(
        { reportId, stage, event: 'transition', fromStatus: from, toStatus: to, reason, details },
        m,
      );
      return true;
    };
    return manager ? run(manager) : this.db.transaction(run);
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
