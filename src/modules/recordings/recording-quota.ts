import type { Request, Response } from 'express';
import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../../common/errors';
import { type RateLimits, tooManyRequests } from '../../common/rate-limit';
import type { AppConfig } from '../../config/config.schema';
import type { InflateMeter } from './inflate-meter';

const HOUR_SECONDS = 3600;

export type QuotaName = 'sessionsPerHour' | 'chunksPerHour' | 'inflatedBytesPerHour';

const WHAT: Record<QuotaName, string> = {
  sessionsPerHour: 'new recording sessions',
  chunksPerHour: 'recording chunks',
  inflatedBytesPerHour: 'inflated recording bytes',
};

/**
 * Hourly quotas per project on recording chunks (RECORDING_QUOTA_*), counted in Redis so that
 * every API process shares them: new session ids, chunks, and inflated bytes. Bytes are counted
 * as they inflate; a chunk is admitted only while bytes are left, and may read at most those
 * (so concurrent chunks can overshoot by at most one chunk limit each).
 */
export class RecordingQuota {
  private readonly sessions: RateLimiterRedis;
  private readonly chunks: RateLimiterRedis;
  private readonly bytes: RateLimiterRedis;

  constructor(
    private readonly limits: RateLimits,
    private readonly config: AppConfig,
  ) {
    const per = (name: string, points: number) => limits.limiter(name, points, HOUR_SECONDS);
    this.sessions = per('quota-sessions', config.RECORDING_QUOTA_SESSIONS_PER_HOUR);
    this.chunks = per('quota-chunks', config.RECORDING_QUOTA_CHUNKS_PER_HOUR);
    this.bytes = per('quota-inflated-bytes', config.RECORDING_QUOTA_INFLATED_BYTES_PER_HOUR);
  }

  /**
   * Before a chunk's body is read: counts the chunk (and its session, the first time this hour)
   * and returns how far it may inflate. Throws a 429 QUOTA_EXCEEDED naming the quota used up.
   */
  async admitChunk(
    projectId: string,
    sessionId: string,
    req: Request,
    res: Response,
  ): Promise<InflateMeter> {
    const seenKey = `${this.limits.keyPrefix}:quota-session-seen:${projectId}:${sessionId}`;
    // Sent together: one round trip.
    const [chunk, firstThisHour, bytes] = await Promise.all([
      this.settle(this.chunks.consume(projectId)),
      this.limits.redis.set(seenKey, '1', 'EX', HOUR_SECONDS, 'NX').then(
        (set) => set === 'OK',
        (error: unknown) => {
          this.limits.warnOutage(error);
          return false;
        },
      ),
      this.settle(this.bytes.get(projectId)),
    ]);
    const forget = () => this.limits.redis.del(seenKey).catch(() => 0);
    if (chunk && !chunk.ok) {
      if (firstThisHour) await forget();
      throw this.exceeded(req, res, 'chunksPerHour', chunk.res.msBeforeNext);
    }
    if (firstThisHour) {
      const session = await this.settle(this.sessions.consume(projectId));
      if (session && !session.ok) {
        await forget();
        throw this.exceeded(req, res, 'sessionsPerHour', session.res.msBeforeNext);
      }
    }
    const limit = this.config.RECORDING_QUOTA_INFLATED_BYTES_PER_HOUR;
    const used = bytes?.res.consumedPoints ?? 0;
    const msBeforeNext = bytes?.res.msBeforeNext ?? HOUR_SECONDS * 1000;
    const left = limit - used;
    if (left <= 0) throw this.exceeded(req, res, 'inflatedBytesPerHour', msBeforeNext);

    const chunkLimit = this.config.RECORDING_CHUNK_MAX_INFLATED_BYTES;
    const quotaBinds = left < chunkLimit;
    return {
      maxBytes: Math.min(left, chunkLimit),
      overLimit: () =>
        quotaBinds
          ? this.exceeded(req, res, 'inflatedBytesPerHour', msBeforeNext)
          : new DomainError(
              413,
              ErrorCode.PayloadTooLarge,
              `The chunk inflates to more than ${chunkLimit} bytes; send smaller chunks.`,
              { field: 'body', limit: 'chunk', limitBytes: chunkLimit },
            ),
      done: (inflated) => {
        if (inflated > 0) void this.settle(this.bytes.penalty(projectId, inflated));
      },
    };
  }

  private exceeded(
    req: Request,
    res: Response,
    quota: QuotaName,
    msBeforeNext: number,
  ): DomainError {
    const limit = {
      sessionsPerHour: this.config.RECORDING_QUOTA_SESSIONS_PER_HOUR,
      chunksPerHour: this.config.RECORDING_QUOTA_CHUNKS_PER_HOUR,
      inflatedBytesPerHour: this.config.RECORDING_QUOTA_INFLATED_BYTES_PER_HOUR,
    }[quota];
    return tooManyRequests(
      req,
      res,
      msBeforeNext,
      ErrorCode.QuotaExceeded,
      `This project's quota of ${limit} ${WHAT[quota]} per hour is used up; retry after Retry-After seconds.`,
      { quota, limit },
    );
  }

  /**
   * A limiter's answer, refused or not; null when neither Redis nor the in-memory insurance
   * answered (the chunk is let through rather than failed).
   */
  private settle(
    pending: Promise<RateLimiterRes | null>,
  ): Promise<{ ok: boolean; res: RateLimiterRes } | null> {
    return pending.then(
      (res) => (res ? { ok: true, res } : null),
      (refused: unknown) => {
        if (refused instanceof RateLimiterRes) return { ok: false, res: refused };
        this.limits.warnOutage(refused);
        return null;
      },
    );
  }
}
