import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '../../queue/queue.constants';
import { ConversationModule } from '../conversation/conversation.module';
import { DedupeModule } from '../dedupe/dedupe.module';
import { ProjectsModule } from '../projects/projects.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { ReplayModule } from '../replay/replay.module';
import { SentryModule } from '../sentry/sentry.module';
import { TrackersModule } from '../trackers/trackers.module';
import { TriageModule } from '../triage/triage.module';
import { DecisionsController } from './decisions/decisions.controller';
import { DecisionsService } from './decisions/decisions.service';
import { PipelineService } from './pipeline.service';
import { ReconcilerService } from './reconciler.service';
import { StagesService } from './stages.service';

/**
 * The conductor: the stages, people's decisions and the reconciler. Its processors and queue
 * workers are registered by the worker alone (worker.module.ts).
 */
@Module({
  imports: [
    BullModule.registerQueue({ name: QueueName.Pipeline }, { name: QueueName.Maintenance }),
    ProjectsModule,
    RecordingsModule,
    ReplayModule,
    SentryModule,
    ConversationModule,
    TriageModule,
    TrackersModule,
    DedupeModule,
  ],
  controllers: [DecisionsController],
  providers: [PipelineService, StagesService, ReconcilerService, DecisionsService],
  exports: [PipelineService, StagesService, ReconcilerService, BullModule],
})
export class PipelineModule {}
