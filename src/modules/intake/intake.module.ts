import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ConversationModule } from '../conversation/conversation.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { SentryModule } from '../sentry/sentry.module';
import { TrackersModule } from '../trackers/trackers.module';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

@Module({
  imports: [
    AccountsModule,
    RecordingsModule,
    PipelineModule,
    TrackersModule,
    SentryModule,
    ConversationModule,
  ],
  controllers: [ReportsController],
  providers: [ReportsService],
})
export class IntakeModule {}
