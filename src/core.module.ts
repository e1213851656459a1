import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { ConfigModule } from './config/config.module';
import type { AppConfig } from './config/config.schema';
import { dataSourceOptions } from './database/data-source';
import { ReportsModule } from './modules/reports/reports.module';
import { ProducerConnection } from './queue/redis-connection';

/** Redacted from every log line: credentials never reach the logs. */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.query.sig',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** A request URL as logged: a `sig` query parameter (a signed link's credential) redacted. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]sig=)[^&#]*/g, '$1[redacted]');
}

/** What both the API and the worker need: config, logging, PostgreSQL, Redis. */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    const producer = new ProducerConnection(config.REDIS_URL);
    return {
      module: CoreModule,
      global: true,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.LOG_LEVEL,
            genReqId: (req: IncomingMessage) =>
              (req as IncomingMessage & { id?: string }).id ?? 'unknown',
            customAttributeKeys: { reqId: 'requestId' },
            quietReqLogger: true,
            redact: { paths: LOG_REDACT, censor: '[redacted]' },
            serializers: {
              req: (req: { url?: string }) => {
                if (req.url) req.url = redactUrl(req.url);
                return req;
              },
            },
            autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
          },
        }),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config.DATABASE_URL),
          autoLoadEntities: false,
        }),
        BullModule.forRoot({
          connection: producer.redis,
          prefix: config.QUEUE_PREFIX,
          // BullMQ otherwise holds every command until the first connection succeeds (and the
          // version check is a command too): with Redis down at boot, POST would hang.
          skipWaitingForReady: true,
          skipVersionCheck: true,
        }),
        ReportsModule,
      ],
      providers: [{ provide: ProducerConnection, useValue: producer }],
    };
  }
}
