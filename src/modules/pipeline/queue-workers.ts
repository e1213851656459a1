import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { type Job, MetricsTime, type Queue, type RedisClient, Worker } from 'bullmq';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { MaintenanceProcessor } from './maintenance.processor';
import { PipelineProcessor } from './pipeline.processor';
import {
  JobName,
  MIRROR_SCHEDULER_ID,
  DEDUPE_STATS_EVERY_MS,
  DEDUPE_STATS_SCHEDULER_ID,
  MIRROR_SYNC_EVERY_MS,
  QueueName,
  RECONCILE_SCHEDULER_ID,
  type ReportJobData,
  SESSION_PURGE_EVERY_MS,
  SESSION_PURGE_SCHEDULER_ID,
} from '../../queue/queue.constants';
import { jitteredBackoff } from '../../queue/backoff';
import { redisOptions } from '../../queue/redis-connection';

/**
 * Starts a BullMQ worker per queue with options from the validated config (which decorators
 * cannot read), keeps the reconcile schedule in place, and drains workers on shutdown.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly workers: Worker[] = [];
  private scheduleTimer?: NodeJS.Timeout;
  private onReady?: { client: RedisClient; listener: () => void };

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
    private readonly pipelineProcessor: PipelineProcessor,
    private readonly maintenanceProcessor: MaintenanceProcessor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.start(
      QueueName.Pipeline,
      (job, token) => this.pipelineProcessor.process(job as Job<ReportJobData>, token),
      this.config.WORKER_CONCURRENCY,
    );
    this.start(QueueName.Maintenance, (job) => this.maintenanceProcessor.process(job), 1);
    // Its job scheduler reports Redis errors here; with no listener BullMQ prints them raw.
    this.maintenance.on('error', (error) =>
      this.logger.warn({ err: error }, 'Maintenance queue error'),
    );
    // If Redis loses its data the schedule goes with it; every worker puts it back. Upserting
    // an existing schedule changes nothing, so running this on many workers is harmless.
    // Redis being unreachable is no reason to stop either: the timer tries again.
    const ensure = () =>
      this.ensureSchedule().catch((error: unknown) =>
        // A state of Redis, not a bug here: one line, no stack.
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          `Could not check the reconcile schedule; trying again in ${this.config.RECONCILE_EVERY_MS} ms`,
        ),
      );
    // The queues share the producer connection, which never waits for Redis (so that the API
    // answers while Redis is down): at boot it is still connecting and a check would fail at
    // once. Check when it is ready, at boot and after every reconnect (a restarted Redis may
    // have lost the schedule).
    const client = await this.maintenance.client;
    const listener = () => void ensure();
    client.on('ready', listener);
    this.onReady = { client, listener };
    if (client.status === 'ready') await ensure();
    this.scheduleTimer = setInterval(() => void ensure(), this.config.RECONCILE_EVERY_MS);
    this.scheduleTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.scheduleTimer);
    this.onReady?.client.off('ready', this.onReady.listener);
    // close() stops taking jobs and waits for running ones; main.ts bounds the total wait.
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private start(
    queue: QueueName,
    processor: (job: Job, token?: string) => Promise<unknown>,
    concurrency: number,
  ): void {
    const worker = new Worker(queue, processor, {
      connection: { ...redisOptions(this.config.REDIS_URL), maxRetriesPerRequest: null },
      prefix: this.config.QUEUE_PREFIX,
      concurrency,
      lockDuration: this.config.JOB_LOCK_MS,
      stalledInterval: this.config.JOB_LOCK_MS,
      maxStalledCount: 3,
      metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          jitteredBackoff(attemptsMade, this.config.JOB_BACKOFF_MS),
      },
    });
    worker.on('error', (error) => this.logger.error({ queue, err: error }, 'Worker error'));
    worker.on('failed', (job, error) =>
      this.logger.warn({ queue, job: job?.name, jobId: job?.id, err: error.message }, 'Job failed'),
    );
    this.workers.push(worker);
  }

  private async ensureSchedule(): Promise<void> {
    await this.ensureMirrorSchedule();
    await this.ensureDedupeStatsSchedule();
    await this.ensureSessionPurgeSchedule();
    const existing = await this.maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID);
    if (existing?.every === this.config.RECONCILE_EVERY_MS) return;
    await this.maintenance.upsertJobScheduler(
      RECONCILE_SCHEDULER_ID,
      { every: this.config.RECONCILE_EVERY_MS },
      { name: JobName.ReconcileReports, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  private async ensureDedupeStatsSchedule(): Promise<void> {
    const existing = await this.maintenance.getJobScheduler(DEDUPE_STATS_SCHEDULER_ID);
    if (existing?.every === DEDUPE_STATS_EVERY_MS) return;
    await this.maintenance.upsertJobScheduler(
      DEDUPE_STATS_SCHEDULER_ID,
      { every: DEDUPE_STATS_EVERY_MS },
      { name: JobName.RefreshDedupeStats, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  private async ensureSessionPurgeSchedule(): Promise<void> {
    const existing = await this.maintenance.getJobScheduler(SESSION_PURGE_SCHEDULER_ID);
    if (existing?.every === SESSION_PURGE_EVERY_MS) return;
    await this.maintenance.upsertJobScheduler(
      SESSION_PURGE_SCHEDULER_ID,
      { every: SESSION_PURGE_EVERY_MS },
      { name: JobName.PurgeUnclaimedSessions, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  private async ensureMirrorSchedule(): Promise<void> {
    // The tracker mirror's periodic reconciliation; the sync itself takes a PostgreSQL lock,
    // so a run that overlaps another worker's finds it busy and returns.
    const mirror = await this.maintenance.getJobScheduler(MIRROR_SCHEDULER_ID);
    if (mirror?.every === MIRROR_SYNC_EVERY_MS) return;
    await this.maintenance.upsertJobScheduler(
      MIRROR_SCHEDULER_ID,
      { every: MIRROR_SYNC_EVERY_MS },
      { name: JobName.SyncTrackerMirror, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }
}
