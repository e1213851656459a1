import { Module } from '@nestjs/common';
import { OpenAiModule } from '../../integrations/openai/openai.module';
import { ProjectsModule } from '../projects/projects.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { SentryModule } from '../sentry/sentry.module';
import { TrackersModule } from '../trackers/trackers.module';
import { TriageModule } from '../triage/triage.module';
import { DedupeStatsService } from './dedupe-stats.service';
import { DedupeService } from './dedupe.service';
import { SemanticReranker } from './semantic-reranker.service';

/** One bug, one ticket: duplicate detection against the open-issue mirror and reports in flight. */
@Module({
  imports: [
    OpenAiModule,
    ProjectsModule,
    RecordingsModule,
    SentryModule,
    TrackersModule,
    TriageModule,
  ],
  providers: [DedupeService, DedupeStatsService, SemanticReranker],
  exports: [DedupeService, DedupeStatsService],
})
export class DedupeModule {}
