import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ConversationModule } from '../conversation/conversation.module';
import { DedupeModule } from '../dedupe/dedupe.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { SentryModule } from '../sentry/sentry.module';
import { TrackersModule } from '../trackers/trackers.module';
import { TriageModule } from '../triage/triage.module';
import { IntakeService } from './intake.service';
import { MessagesController } from './messages.controller';
import { ReportsController } from './reports.controller';

/** The reports API, the front door: a report arrives, is viewed, and its reporter answers. */
@Module({
  imports: [
    AccountsModule,
    RecordingsModule,
    PipelineModule,
    TrackersModule,
    SentryModule,
    ConversationModule,
    TriageModule,
    DedupeModule,
  ],
  controllers: [ReportsController, MessagesController],
  providers: [IntakeService],
  // The widget's public routes store reports through the same front door.
  exports: [IntakeService],
})
export class IntakeModule {}
