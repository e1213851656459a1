import {
  type DynamicModule,
  Global,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '../config/config.schema';
import { redisOptions } from '../queue/redis-connection';
import { closeIfUnread } from './body-parsing';
import { sendError } from './error-body';
import { DomainError, ErrorCode } from './errors';
import { requestIdOf } from './request-id';

/** A 429: the client may try again after `retryAfterSeconds` (also sent as Retry-After). */
export class TooManyRequestsError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(429, code, message, { ...details, retryAfterSeconds });
    this.name = 'TooManyRequestsError';
  }
}

/**
 * Prepares `res` for a 429 (Retry-After, and closing the connection rather than reading a body
 * we refuse) and returns the error to throw.
 */
export function tooManyRequests(
  req: Request,
  res: Response,
  msBeforeNext: number,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): TooManyRequestsError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  res.setHeader('Retry-After', String(seconds));
  closeIfUnread(req, res);
  return new TooManyRequestsError(seconds, code, message, details);
}

/** Failed authentications past the limit block the address for this long. */
export const AUTH_FAILURE_BLOCK_SECONDS = 15 * 60;
/** How often a Redis outage is logged while the limiters run on their in-memory insurance. */
const OUTAGE_LOG_EVERY_MS = 60_000;

export type LimitName = 'key' | 'address' | 'authFailures' | 'widgetKey' | 'emailWebhook';

/**
 * Rate limits with their counters in Redis, so every API process shares them. Each limiter
 * blocks a key in memory once it is over (no Redis call until its window ends) and falls back
 * to an in-memory limiter of the same size per process while Redis is unreachable: limits
 * stay on, intake stays up.
 */
@Injectable()
export class RateLimits implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  /** Its own connection: never waits for Redis, so a command fails at once and insurance runs. */
  readonly redis: Redis;
  readonly keyPrefix: string;
  private readonly perKey: RateLimiterRedis;
  private readonly perAddress: RateLimiterRedis;
  private readonly authFailures: RateLimiterRedis;
  private readonly perWidgetKey: RateLimiterRedis;
  private readonly perEmailWebhookProject: RateLimiterRedis;
  private lastOutageLog = 0;

  constructor(private readonly config: AppConfig) {
    this.redis = new Redis({
      ...redisOptions(config.REDIS_URL),
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // A stalled Redis costs a request at most this before the in-memory insurance answers;
      // long enough that a busy Redis is not taken for a stalled one.
      commandTimeout: 1_000,
      // The key and address limits of one request go out in one write: one round trip.
      enableAutoPipelining: true,
      lazyConnect: false,
    });
    this.redis.on('error', (error: Error) => this.warnOutage(error));
    this.keyPrefix = `${config.QUEUE_PREFIX}:limits`;
    this.perKey = this.limiter('key', config.RATE_LIMIT_PER_KEY_PER_MINUTE, 60);
    this.perAddress = this.limiter('address', config.RATE_LIMIT_PER_ADDRESS_PER_MINUTE, 60);
    this.perWidgetKey = this.limiter('widget-key', config.RATE_LIMIT_PER_WIDGET_KEY_PER_MINUTE, 60);
    this.perEmailWebhookProject = this.limiter(
      'email-webhook',
      config.RATE_LIMIT_EMAIL_WEBHOOKS_PER_MINUTE,
      60,
    );
    this.authFailures = this.limiter(
      'auth-failures',
      config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      60,
      AUTH_FAILURE_BLOCK_SECONDS,
    );
  }

  /** A limiter of `points` per `durationSeconds` in Redis (under this deployment's prefix). */
  limiter(
    name: string,
    points: number,
    durationSeconds: number,
    blockSeconds = 0,
  ): RateLimiterRedis {
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.keyPrefix}:${name}`,
      points,
      duration: durationSeconds,
      blockDuration: blockSeconds,
      // Over the limit, a key is refused from memory until its window (or block) ends.
      inMemoryBlockOnConsumed: points + 1,
      inMemoryBlockDuration: blockSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({
        points,
        duration: durationSeconds,
        blockDuration: blockSeconds,
      }),
    });
  }

  /** Logs that Redis is unreachable, at most once a minute. */
  warnOutage(error: unknown): void {
    const now = Date.now();
    if (now - this.lastOutageLog < OUTAGE_LOG_EVERY_MS) return;
    this.lastOutageLog = now;
    this.logger.warn(
      `Redis unreachable (${error instanceof Error ? error.message : String(error)}); rate limits and quotas are counted per process until it is back.`,
    );
  }

  /** forAddress as Express middleware, for routes outside Nest (the queue dashboard). */
  addressMiddleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      this.forAddress(req, res).then(
        () => next(),
        (error: unknown) => {
          if (!(error instanceof DomainError)) return next(error);
          const { status, code, message, details } = error;
          sendError(res, status, code, message, requestIdOf(req), details);
        },
      );
    };
  }

  /** Every request: counts against its client address. */
  async forAddress(req: Request, res: Response): Promise<void> {
    await this.consume(req, res, [[this.perAddress, clientAddress(req), 'address']]);
  }

  /** A request with a valid key: counts against the key and the address, in one round trip. */
  async forKey(keyId: string, req: Request, res: Response): Promise<void> {
    await this.consume(req, res, [
      [this.perKey, keyId, 'key'],
      [this.perAddress, clientAddress(req), 'address'],
    ]);
  }

  /** A widget request: counts against the project's public key (its address was counted already). */
  async forWidgetKey(projectId: string, req: Request, res: Response): Promise<void> {
    await this.consume(req, res, [[this.perWidgetKey, projectId, 'widgetKey']]);
  }

  /** An authenticated email webhook: counts against its project (the address was counted already). */
  async forEmailWebhook(projectId: string, req: Request, res: Response): Promise<void> {
    await this.consume(req, res, [[this.perEmailWebhookProject, projectId, 'emailWebhook']]);
  }

  /** Milliseconds this address is still blocked for failed authentications (from memory). */
  authBlockedMs(req: Request): number {
    // Public in the library's JavaScript, missing from its typings.
    const limiter = this.authFailures as unknown as {
      getInMemoryBlockMsBeforeExpire(rlKey: string): number;
    };
    return limiter.getInMemoryBlockMsBeforeExpire(this.authFailures.getKey(clientAddress(req)));
  }

  /** Brute-force guard: a refused credential counts against the address; past the limit, 429. */
  async authFailed(req: Request, res: Response): Promise<void> {
    await this.consume(req, res, [[this.authFailures, clientAddress(req), 'authFailures']], false);
  }

  /** The 429 for an address blocked after too many failed authentications. */
  authBlocked(req: Request, res: Response, ms: number): TooManyRequestsError {
    return tooManyRequests(req, res, ms, ErrorCode.RateLimited, MESSAGES.authFailures, {
      limit: 'authFailures',
    });
  }

  private async consume(
    req: Request,
    res: Response,
    limits: [RateLimiterRedis, string, LimitName][],
    headers = true,
  ): Promise<void> {
    const results = await Promise.all(
      limits.map(([limiter, key]) =>
        limiter.consume(key).then(
          (ok) => ({ ok: true as const, res: ok }),
          (refused: unknown) => ({ ok: false as const, res: refused }),
        ),
      ),
    );
    let tightest: { res: RateLimiterRes; points: number } | null = null;
    for (const [i, result] of results.entries()) {
      const [limiter, , name] = limits[i];
      if (!(result.res instanceof RateLimiterRes)) {
        // Neither Redis nor the insurance answered: let the request through rather than fail it.
        this.warnOutage(result.res);
        continue;
      }
      if (!result.ok) {
        throw tooManyRequests(
          req,
          res,
          result.res.msBeforeNext,
          ErrorCode.RateLimited,
          MESSAGES[name],
          {
            limit: name,
          },
        );
      }
      if (!tightest || result.res.remainingPoints < tightest.res.remainingPoints) {
        tightest = { res: result.res, points: limiter.points };
      }
    }
    if (headers && tightest) setRateLimitHeaders(res, tightest.points, tightest.res);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

const MESSAGES: Record<LimitName, string> = {
  key: 'Too many requests with this API key; slow down and retry after Retry-After seconds.',
  address: 'Too many requests from this address; slow down and retry after Retry-After seconds.',
  widgetKey:
    "Too many reports from this project's widget; slow down and retry after Retry-After seconds.",
  authFailures:
    'Too many failed authentications from this address; retry after Retry-After seconds.',
  emailWebhook:
    "Too many mails by webhook for this project; the provider's retries deliver them later.",
};

/** The client's address as Express sees it (TRUST_PROXY decides whether X-Forwarded-For counts). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** The IETF draft's RateLimit-* headers and the widespread X-RateLimit-* ones. */
function setRateLimitHeaders(res: Response, limit: number, state: RateLimiterRes): void {
  const reset = String(Math.max(0, Math.ceil(state.msBeforeNext / 1000)));
  const remaining = String(state.remainingPoints);
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', remaining);
  res.setHeader('RateLimit-Reset', reset);
  res.setHeader('X-RateLimit-Limit', String(limit));
  res.setHeader('X-RateLimit-Remaining', remaining);
  res.setHeader('X-RateLimit-Reset', reset);
}

/** Provides RateLimits to every module of the API process (one Redis connection). */
@Global()
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitModule,
      providers: [{ provide: RateLimits, useFactory: () => new RateLimits(config) }],
      exports: [RateLimits],
    };
  }
}
