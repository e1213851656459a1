import { Module } from '@nestjs/common';
import { ProjectsModule } from '../../projects/projects.module';
import { TrackersModule } from '../trackers.module';
import { MirrorSyncService } from './mirror-sync.service';

/** The open-issue mirror: initial sync, resume and periodic reconciliation of `tracker_issues`. */
@Module({
  imports: [TrackersModule, ProjectsModule],
  providers: [MirrorSyncService],
  exports: [MirrorSyncService],
})
export class MirrorModule {}
