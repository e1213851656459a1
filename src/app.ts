import {
  type DynamicModule,
  type INestApplication,
  type INestApplicationContext,
  Module,
} from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';
import { DemoModule } from './modules/demo/demo.module';
import { JsonBodyGuard, requireJson } from './common/body-parsing';
import { RateLimitModule, RateLimits } from './common/rate-limit';
import { requestIdMiddleware } from './common/request-id';
import type { AppConfig } from './config/config.schema';
import { CoreModule } from './core.module';
import { BULL_BOARD_PATH, mountBullBoard } from './modules/admin/bull-board';
import { MetricsService } from './modules/metrics/metrics.service';
import { CHUNK_ROUTE } from './modules/recordings/recordings.controller';
import { ProjectsService } from './modules/projects/projects.service';
import { TrackerRegistry } from './modules/trackers/tracker-registry';
import { initSentry } from './observability/sentry';
import { WorkerModule } from './worker.module';

export type Role = 'api' | 'worker' | 'all';

@Module({})
class RootModule {
  static forRole(config: AppConfig, role: Role): DynamicModule {
    return {
      module: RootModule,
      imports: [
        CoreModule.forRoot(config),
        ...(role === 'worker' ? [] : [RateLimitModule.forRoot(config), ApiModule]),
        ...(role !== 'worker' && config.DEMO_ENABLED ? [DemoModule] : []),
        ...(role === 'api' ? [] : [WorkerModule]),
      ],
    };
  }
}

function configureHttp(app: NestExpressApplication, config: AppConfig): void {
  app.disable('x-powered-by');
  // Behind a proxy, req.ip (what the per-address limits count) comes from X-Forwarded-For.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestIdMiddleware);
  app.use(app.get(MetricsService).httpMiddleware);
  app.use('/v1', requireJson);
  // Bodies are read by a guard after the AuthGuard (APP_GUARD providers are registered when the
  // app is created, so they run before guards added here): no byte is read before the
  // credential and its rate limit passed.
  app.useGlobalGuards(
    new JsonBodyGuard(config.REPORT_BODY_LIMIT_BYTES, [CHUNK_ROUTE], app.get(Reflector)),
  );
  // Nest routes are limited by the AuthGuard; the dashboard is plain Express.
  app.use(BULL_BOARD_PATH, app.get(RateLimits).addressMiddleware());
  mountBullBoard(app, config);
  const openApi = new DocumentBuilder()
    .setTitle('Repro')
    .setDescription('Bug reports in, actionable tickets out.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Project API key' })
    .addSecurity('admin', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' })
    .addCookieAuth(
      'repro_session',
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          "A signed-in person's session (POST /v1/session); writes also send X-CSRF-Token",
      },
      'repro_session',
    )
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi));
}

export interface Started {
  app: INestApplication | INestApplicationContext;
  /** The first API key, when this start created the default project. */
  firstKey: { key: string; prefix: string } | null;
}

/** Builds the API, the worker, or both in one process. Does not listen yet. */
export async function createApp(config: AppConfig, role: Role): Promise<Started> {
  initSentry(config, role);
  const module = RootModule.forRole(config, role);
  const app =
    role === 'worker'
      ? await NestFactory.createApplicationContext(module, { bufferLogs: true })
      : await NestFactory.create<NestExpressApplication>(module, {
          bodyParser: false,
          bufferLogs: true,
        });
  app.useLogger(app.get(Logger));
  if (role !== 'worker') configureHttp(app as NestExpressApplication, config);
  await app.init();
  const projects = app.get(ProjectsService, { strict: false });
  const firstKey = role === 'worker' ? null : await projects.ensureDefaultProject();
  await projects.syncDefaultTracker(app.get(TrackerRegistry, { strict: false }).defaultProvider());
  return { app, firstKey };
}
