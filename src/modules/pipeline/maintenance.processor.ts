import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import {
  JobName,
  MIRROR_SCHEDULER_ID,
  QueueName,
  SESSION_PURGE_BATCH,
} from '../../queue/queue.constants';
import { RecordingsService } from '../recordings/recordings.service';
import {
  MIRROR_PAGES_PER_JOB,
  type MirrorSyncOutcome,
  MirrorSyncService,
  mirrorFollowUpAt,
} from '../trackers/mirror/mirror-sync.service';
import { DedupeStatsService } from '../dedupe/dedupe-stats.service';
import { type ReconcileOutcome, ReconcilerService } from './reconciler.service';

@Injectable()
export class MaintenanceProcessor {
  constructor(
    private readonly reconciler: ReconcilerService,
    private readonly mirror: MirrorSyncService,
    private readonly dedupeStats: DedupeStatsService,
    private readonly recordings: RecordingsService,
    @InjectConfig() private readonly config: AppConfig,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  async process(
    job: Job,
  ): Promise<
    ReconcileOutcome | MirrorSyncOutcome | { refreshed: string[] } | { purgedSessions: number }
  > {
    switch (job.name) {
      case JobName.PurgeUnclaimedSessions:
        return { purgedSessions: await this.purgeUnclaimedSessions() };
      case JobName.RefreshDedupeStats:
        return { refreshed: await this.dedupeStats.refreshStale() };
      case JobName.ReconcileReports:
        return this.reconciler.reconcile();
      case JobName.SyncTrackerMirror: {
        // A bounded run, so a large initial sync never holds the reconciler's queue for long;
        // it continues in a follow-up job (now, or when the rate limit ends).
        const outcome = await this.mirror.syncDefaultProject({ maxPages: MIRROR_PAGES_PER_JOB });
        const at = mirrorFollowUpAt(outcome);
        if (at) {
          await this.maintenance.add(
            JobName.SyncTrackerMirror,
            {},
            {
              jobId: `${MIRROR_SCHEDULER_ID}-next-${at.getTime()}`,
              delay: Math.max(0, at.getTime() - Date.now()),
              removeOnComplete: 100,
              removeOnFail: 100,
            },
          );
        }
        return outcome;
      }
      default:
        throw new UnrecoverableError(`Unknown maintenance job ${job.name}`);
    }
  }

  /** Streamed sessions no report took, past RECORDING_UNCLAIMED_SESSION_HOURS, in batches. */
  async purgeUnclaimedSessions(now = Date.now()): Promise<number> {
    const before = new Date(now - this.config.RECORDING_UNCLAIMED_SESSION_HOURS * 3_600_000);
    let purged = 0;
    for (;;) {
      let n: number;
      try {
        n = await this.recordings.purgeUnclaimedSessions(before, SESSION_PURGE_BATCH);
      } catch (error) {
        // The tables were busy (lock_not_available): the next run goes on.
        if (isLockTimeout(error)) return purged;
        throw error;
      }
      purged += n;
      if (n < SESSION_PURGE_BATCH) return purged;
    }
  }
}

function isLockTimeout(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e.code ?? e.driverError?.code) === '55P03';
}
