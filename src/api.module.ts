import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { AuthGuard } from './modules/projects/auth.guard';
import { apiValidationPipe } from './common/validation';
import { PipelineModule } from './modules/pipeline/pipeline.module';
import { ConversationModule } from './modules/conversation/conversation.module';
import { EmailModule } from './modules/email/email.module';
import { EmailSmtpModule } from './modules/email/smtp/smtp.module';
import { EmailWebhooksModule } from './modules/email/webhooks/webhooks.module';
import { HealthModule } from './modules/health/health.module';
import { IntakeModule } from './modules/intake/intake.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { NotificationsModule } from './modules/notifications/notifications.module';
import { ProjectsModule } from './modules/projects/projects.module';
import { ReplayModule } from './modules/replay/replay.module';
import { TrackersModule } from './modules/trackers/trackers.module';
import { UsersModule } from './modules/users/users.module';
import { WebModule } from './modules/web/web.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { WidgetModule } from './modules/widget/widget.module';

/** HTTP: feature controllers plus the global guard, error filter and validation. */
@Module({
  imports: [
    ProjectsModule,
    UsersModule,
    IntakeModule,
    TrackersModule,
    PipelineModule,
    ConversationModule,
    HealthModule,
    MetricsModule,
    NotificationsModule,
    ReplayModule,
    WebhooksModule,
    WidgetModule,
    EmailModule,
    EmailWebhooksModule,
    EmailSmtpModule,
    WebModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    {
      provide: APP_PIPE,
      useValue: apiValidationPipe(),
    },
  ],
})
export class ApiModule {}
