import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config/config.schema';
import { APP_CONFIG } from '../../config/config.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { SentryApiClient } from './sentry-api.client';
import { SENTRY_API_CLIENT, SentryMatchingService } from './sentry-matching.service';

/** Matching reports to the Sentry issues behind them. Off (and silent) without SENTRY_AUTH_TOKEN. */
@Module({
  imports: [RecordingsModule],
  providers: [
    {
      provide: SENTRY_API_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): SentryApiClient | null =>
        config.SENTRY_AUTH_TOKEN && config.SENTRY_ORG
          ? new SentryApiClient({
              baseUrl: config.SENTRY_BASE_URL,
              token: config.SENTRY_AUTH_TOKEN,
              org: config.SENTRY_ORG,
              projects: config.SENTRY_PROJECTS?.split(',').map((p) => p.trim()),
              timeoutMs: config.SENTRY_TIMEOUT_MS,
              retryBudgetMs: config.SENTRY_RETRY_BUDGET_MS,
            })
          : null,
    },
    SentryMatchingService,
  ],
  exports: [SentryMatchingService, SENTRY_API_CLIENT],
})
export class SentryModule {}
