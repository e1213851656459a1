import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { TrackersModule } from '../trackers/trackers.module';
import { DedupeStatsService } from './dedupe-stats.service';
import { DedupeService } from './dedupe.service';

/** One bug, one ticket: duplicate detection against the open-issue mirror and reports in flight. */
@Module({
  imports: [PipelineModule, TrackersModule],
  providers: [DedupeService, DedupeStatsService],
  exports: [DedupeService, DedupeStatsService],
})
export class DedupeModule {}
