import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { JobName, MIRROR_SCHEDULER_ID, QueueName } from '../../queue/queue.constants';
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
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  async process(job: Job): Promise<ReconcileOutcome | MirrorSyncOutcome | { refreshed: string[] }> {
    switch (job.name) {
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
}
