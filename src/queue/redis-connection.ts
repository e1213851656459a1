import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL. */
export function redisOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: db ? Number(db) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * What is wrong with a Redis `maxmemory-policy` for BullMQ, or null when it is `noeviction`.
 * Any other policy lets Redis drop queued jobs and their locks when it runs out of memory.
 */
export function maxmemoryPolicyProblem(policy: string): string | null {
  if (policy === 'noeviction') return null;
  return (
    `Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction", or Redis may evict queued ` +
    'jobs when it is full (reports then wait for the reconciler). Fix: redis-cli CONFIG SET ' +
    'maxmemory-policy noeviction, and set maxmemory-policy noeviction in redis.conf or your ' +
    "provider's settings so it survives a restart."
  );
}

/**
 * Checks Redis's eviction policy and logs a warning when BullMQ cannot rely on it. Repro keeps
 * running (as BullMQ does): PostgreSQL holds every report and the reconciler re-queues lost
 * jobs, and a managed Redis may not let us read the setting at all.
 */
export async function checkMaxmemoryPolicy(redis: Redis, logger: Pick<Logger, 'warn' | 'log'>) {
  let policy: string;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1] ?? '';
  } catch (error) {
    // Managed Redis often disables or renames CONFIG.
    logger.warn(
      `Could not read Redis maxmemory-policy (${(error as Error).message}); make sure it is ` +
        '"noeviction", which BullMQ needs.',
    );
    return;
  }
  const problem = maxmemoryPolicyProblem(policy);
  if (problem) logger.warn(problem);
}

/** How long a command on the producer connection may wait for Redis's answer. */
export const PRODUCER_COMMAND_TIMEOUT_MS = 2_000;

/**
 * The one connection a process adds jobs through (every Queue shares it). It never waits for
 * Redis: while Redis is unreachable, from boot on, a command fails at once (and one Redis does
 * not answer fails after PRODUCER_COMMAND_TIMEOUT_MS), so POST /v1/reports still answers (the
 * report is in PostgreSQL; the reconciler queues it later).
 */
export class ProducerConnection implements OnApplicationShutdown {
  readonly redis: Redis;
  private readonly logger = new Logger('Redis');

  constructor(redisUrl: string) {
    this.redis = new Redis({
      ...redisOptions(redisUrl),
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // A Redis that accepted the connection and then stopped answering (paused, partitioned)
      // fails a command after this long instead of holding the request that sent it.
      commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
    });
    // At start and after every reconnect (Redis may have been restarted with another config).
    this.redis.on('ready', () => void checkMaxmemoryPolicy(this.redis, this.logger));
  }

  // BullMQ leaves a shared connection to its owner; disconnect(), unlike QUIT, cannot fail
  // when Redis is down, so shutdown stays clean.
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
