import { Injectable, Logger } from '@nestjs/common';
import * as Sentry from '@sentry/node';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { unavailableDependency } from '../../common/all-exceptions.filter';
import type { ReportJobData } from '../../queue/queue.constants';
import { RetryLaterError } from '../../queue/retry-later.error';
import { isPipelineJob, STAGE_OF_JOB } from './pipeline.stages';
import { StagesService } from './stages.service';

/** How long a stage waits when PostgreSQL is unreachable before it tries again. */
export const OUTAGE_RETRY_MS = 5_000;

/** Thin: routes each pipeline job to its stage and records a report's permanent failure. */
@Injectable()
export class PipelineProcessor {
  private readonly logger = new Logger(PipelineProcessor.name);

  constructor(private readonly stages: StagesService) {}

  async process(job: Job<ReportJobData>, token?: string): Promise<void> {
    const name = job.name;
    if (!isPipelineJob(name)) throw new UnrecoverableError(`Unknown pipeline job ${name}`);
    const { reportId } = job.data;
    try {
      await this.stages.run(name, reportId, job.data);
    } catch (error) {
      if (error instanceof RetryLaterError && token) {
        // Waiting is not failing: back on the queue later, with every attempt still left.
        await this.stages.waiting(reportId, name, error);
        await job.moveToDelayed(Date.now() + error.delayMs, token);
        throw new DelayedError();
      }
      if (unavailableDependency(error) === 'postgres' && token) {
        // An outage is not the report's fault: wait it out without using up an attempt (a
        // restart of a few seconds cost jobs 4-5 of their 12) and without a stack per try.
        this.logger.warn(
          { reportId, job: name },
          `PostgreSQL unreachable; ${STAGE_OF_JOB[name]} tries again in ${OUTAGE_RETRY_MS / 1000} s`,
        );
        await job.moveToDelayed(Date.now() + OUTAGE_RETRY_MS, token);
        throw new DelayedError();
      }
      const attempts = job.opts.attempts ?? 1;
      const lastAttempt = error instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
      Sentry.withScope((scope) => {
        scope.setTag('report_id', reportId);
        scope.setTag('stage', STAGE_OF_JOB[name]);
        Sentry.captureException(error);
      });
      this.logger.error(
        { reportId, job: name, attempt: job.attemptsMade + 1, attempts, err: error },
        lastAttempt ? 'Stage failed for good' : 'Stage failed; will retry',
      );
      if (lastAttempt) {
        const reason = error instanceof Error ? error.message : String(error);
        await this.stages.fail(
          reportId,
          name,
          `${STAGE_OF_JOB[name]} failed after ${job.attemptsMade + 1} attempt(s): ${reason}`,
        );
      }
      throw error;
    }
  }
}
