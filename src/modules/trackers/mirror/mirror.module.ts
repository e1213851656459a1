import { Module } from '@nestjs/common';
import { TrackersModule } from '../trackers.module';
import { MirrorSyncService } from './mirror-sync.service';

/** The open-issue mirror: initial sync, resume and periodic reconciliation of `tracker_issues`. */
@Module({
  imports: [TrackersModule],
  providers: [MirrorSyncService],
  exports: [MirrorSyncService],
})
export class MirrorModule {}
