import type { OnApplicationShutdown } from '@nestjs/common';
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
 * The one connection a process adds jobs through (every Queue shares it). It never waits for
 * Redis: while Redis is unreachable, from boot on, a command fails at once, so POST
 * /v1/reports still answers (the report is in PostgreSQL; the reconciler queues it later).
 */
export class ProducerConnection implements OnApplicationShutdown {
  readonly redis: Redis;

  constructor(redisUrl: string) {
    this.redis = new Redis({
      ...redisOptions(redisUrl),
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
  }

  // BullMQ leaves a shared connection to its owner; disconnect(), unlike QUIT, cannot fail
  // when Redis is down, so shutdown stays clean.
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
