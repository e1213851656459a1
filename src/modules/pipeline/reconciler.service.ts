import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource, In, LessThan } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { pipelineJobId, QueueName, type ReportJobData } from '../../queue/queue.constants';
import { Report } from '../intake/entities/report.entity';
import { JOB_FOR_STATUS, PipelineService } from './pipeline.service';
import { ACTIVE_STATUSES } from './report-state-machine';

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
    for (const report of reports) {
      const name = JOB_FOR_STATUS[report.status];
      if (!name) continue;
      const job = await this.queue.getJob(pipelineJobId(name, report.id));
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
}
