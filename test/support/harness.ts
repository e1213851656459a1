import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { createApp, type Role } from '../../src/app';
import { type AppConfig, loadConfig } from '../../src/config/config.schema';
import { dataSourceOptions } from '../../src/database/data-source';
import { redisOptions } from '../../src/queue/redis-connection';
import { createTestDatabase, TEST_REDIS_URL } from './databases';

export { waitFor } from './wait-for';

export interface Harness {
  config: AppConfig;
  /** Environment for child processes (main.worker.ts) so they share this harness's stores. */
  env: Record<string, string>;
  /** A direct connection to this test's database, for assertions. */
  db: DataSource;
  redis: Redis;
  /** Starts the API, the worker or both in-process; the API listens on a free port. */
  start(role: Role, overrides?: Partial<AppConfig>): Promise<RunningApp>;
  close(): Promise<void>;
}

export interface RunningApp {
  app: INestApplication | INestApplicationContext;
  /** Base URL of the API, when the role serves HTTP. */
  url: string;
  firstKey: { key: string; prefix: string } | null;
  close(): Promise<void>;
}

/**
 * One isolated world per test file: its own database (cloned from the migrated template) and
 * its own queue prefix in the shared Redis. Fast timings so that recovery paths run in seconds.
 */
export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `t${randomBytes(5).toString('hex')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    JOB_BACKOFF_MS: '100',
    JOB_LOCK_MS: '2000',
    RECONCILE_EVERY_MS: '1000',
    RECONCILE_STUCK_AFTER_MS: '1500',
    SHUTDOWN_TIMEOUT_MS: '10000',
    // Tests of the other stages let the agent act alone, without questions or approvals; the
    // agent's own tests (triage-*.e2e-spec.ts) run with the real defaults.
    AGENT_MAX_QUESTIONS: '0',
    AGENT_AUTO_FILE_THRESHOLD: '0',
    AGENT_APPROVAL_SEVERITIES: 'none',
    // Tests send many wrong credentials from one address and revoke keys out of process; the
    // limits' own tests (rate-limits.e2e-spec.ts) set the real values.
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000',
    API_KEY_CACHE_MS: '0',
    ...env,
  };
  const config = loadConfig(baseEnv);
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 4 } });
  await db.initialize();
  const redis = new Redis({ ...redisOptions(config.REDIS_URL), maxRetriesPerRequest: 3 });
  const running: RunningApp[] = [];

  return {
    config,
    env: baseEnv,
    db,
    redis,
    async start(role, overrides = {}) {
      const appConfig = { ...config, ...overrides };
      const { app, firstKey } = await createApp(appConfig, role);
      let url = '';
      if (role !== 'worker') {
        const api = app as INestApplication;
        await api.listen(0, '127.0.0.1');
        url = await api.getUrl();
        url = url.replace('[::1]', '127.0.0.1');
      }
      let closed = false;
      const handle: RunningApp = {
        app,
        url,
        firstKey,
        async close() {
          if (closed) return;
          closed = true;
          await app.close();
        },
      };
      running.push(handle);
      return handle;
    },
    async close() {
      for (const app of running.reverse()) await app.close();
      const keys = await redis.keys(`${config.QUEUE_PREFIX}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await db.destroy();
      await database.drop();
    },
  };
}
