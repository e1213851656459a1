import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import { jitteredBackoff } from '../../../queue/backoff';
import { redisOptions } from '../../../queue/redis-connection';
import { OUTBOUND_QUEUE, type OutboundJobData, OutboundJobName } from './outbound.constants';
import { isPermanentSmtpError, OutboundService, smtpErrorText } from './outbound.service';

/**
 * Thin: sends each queued question mail. A 5xx is given up at once (recorded on the report);
 * a 4xx, a timeout or a refused connection is retried with backoff until attempts run out.
 */
@Injectable()
export class OutboundProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboundProcessor.name);
  private worker?: Worker;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly outbound: OutboundService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.outbound.enabled) return;
    this.worker = new Worker(OUTBOUND_QUEUE, (job: Job<OutboundJobData>) => this.process(job), {
      connection: { ...redisOptions(this.config.REDIS_URL), maxRetriesPerRequest: null },
      prefix: this.config.QUEUE_PREFIX,
      concurrency: 2,
      lockDuration: this.config.JOB_LOCK_MS,
      stalledInterval: this.config.JOB_LOCK_MS,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          jitteredBackoff(attemptsMade, this.config.JOB_BACKOFF_MS),
      },
    });
    this.worker.on('error', (error) =>
      this.logger.error({ queue: OUTBOUND_QUEUE, err: error.message }, 'Worker error'),
    );
    const sweep = () =>
      this.outbound
        .sweep()
        .catch((error: unknown) =>
          this.logger.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'Could not look for unsent question mails; trying again later',
          ),
        );
    this.sweepTimer = setInterval(() => void sweep(), this.config.RECONCILE_EVERY_MS);
    this.sweepTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.worker?.close();
  }

  async process(job: Job<OutboundJobData>): Promise<void> {
    if (job.name !== OutboundJobName.SendQuestionEmail) {
      throw new UnrecoverableError(`Unknown outbound job ${job.name}`);
    }
    const { outboxId } = job.data;
    try {
      await this.outbound.send(outboxId);
    } catch (error) {
      const attempts = job.opts.attempts ?? 1;
      const permanent = isPermanentSmtpError(error);
      const last = permanent || job.attemptsMade + 1 >= attempts;
      this.logger.warn(
        { outboxId, attempt: job.attemptsMade + 1, attempts, err: smtpErrorText(error) },
        last ? 'Question mail given up' : 'Question mail not sent; will retry',
      );
      if (!last) throw error;
      await this.outbound.failed(outboxId, error);
      throw new UnrecoverableError(smtpErrorText(error));
    }
  }
}
