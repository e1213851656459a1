import { Module } from '@nestjs/common';
import { NotificationWebhooksService } from './notification-webhooks.service';

/**
 * Telling reporters and their systems what became of a report (issue 18). So far: outgoing
 * webhooks (endpoints, an outbox written in the caller's transaction, signed delivery with
 * retries). The caller schedules NotificationWebhooksService.deliverDue().
 */
@Module({
  providers: [NotificationWebhooksService],
  exports: [NotificationWebhooksService],
})
export class NotificationsModule {}
