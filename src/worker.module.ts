import { Module } from '@nestjs/common';
import { TriageModule } from './modules/triage/triage.module';
import { ConversationModule } from './modules/conversation/conversation.module';
import { DedupeModule } from './modules/dedupe/dedupe.module';
import { MaintenanceProcessor } from './modules/pipeline/maintenance.processor';
import { PipelineModule } from './modules/pipeline/pipeline.module';
import { PipelineProcessor } from './modules/pipeline/pipeline.processor';
import { RecordingsModule } from './modules/recordings/recordings.module';
import { SentryModule } from './modules/sentry/sentry.module';
import { MirrorModule } from './modules/trackers/mirror/mirror.module';
import { TrackersModule } from './modules/trackers/trackers.module';
import { EmailOutboundModule } from './modules/email/outbound/outbound.module';
import { EmailAttachmentsModule } from './modules/email/attachments/email-attachments.module';
import { NotificationsModule } from './modules/notifications/notifications.module';
import { QueueWorkers } from './modules/pipeline/queue-workers';
import { OutboundProcessor } from './modules/email/outbound/outbound.processor';

/** Background work: every processor is registered here and only here. */
@Module({
  imports: [
    PipelineModule,
    RecordingsModule,
    SentryModule,
    DedupeModule,
    TriageModule,
    ConversationModule,
    TrackersModule,
    MirrorModule,
    EmailOutboundModule,
    NotificationsModule,
    // Hands the pipeline the signed links of a mail's images for its ticket.
    EmailAttachmentsModule,
  ],
  providers: [PipelineProcessor, MaintenanceProcessor, QueueWorkers, OutboundProcessor],
})
export class WorkerModule {}
