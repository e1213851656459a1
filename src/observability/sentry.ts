import * as Sentry from '@sentry/node';
import type { AppConfig } from '../config/config.schema';

/** Reports Repro's own errors when SENTRY_DSN is set. Customer content is never attached. */
export function initSentry(config: AppConfig, role: string): void {
  if (!config.SENTRY_DSN) return;
  Sentry.init({
    dsn: config.SENTRY_DSN,
    environment: config.SENTRY_ENVIRONMENT ?? config.NODE_ENV,
    // Customers' words, recordings and credentials stay out of Sentry.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      databaseQueryData: false,
      queues: false,
      stackFrameVariables: false,
    },
    initialScope: { tags: { role } },
    // Repro reports errors, not traces: no module-loader hooks are needed.
    enableRuntimeChannelInjection: false,
    beforeSend(event) {
      // Request bodies carry customers' words and recordings; headers carry credentials.
      if (event.request) {
        delete event.request.data;
        delete event.request.cookies;
        delete event.request.headers;
      }
      return event;
    },
  });
}
