import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import { ErrorCode } from '../../common/errors';
import { clientAddress, RateLimits, tooManyRequests } from '../../common/rate-limit';
import { UsersService } from './users.service';

/**
 * Sign-in attempts, counted per client address and per email address (right or wrong), so that
 * neither one address trying many people nor many addresses trying one person gets far. Failed
 * attempts also count as failed authentications of the address (RateLimits.authFailed).
 */
@Injectable()
export class SignInLimits {
  private readonly perAddress: RateLimiterRedis;
  private readonly perEmail: RateLimiterRedis;

  constructor(
    private readonly limits: RateLimits,
    users: UsersService,
  ) {
    const { signInPerAddressPerMinute, signInPerEmailPerMinute } = users.settings;
    this.perAddress = limits.limiter('sign-in-address', signInPerAddressPerMinute, 60);
    this.perEmail = limits.limiter('sign-in-email', signInPerEmailPerMinute, 60);
  }

  /** Counts one attempt; a 429 RATE_LIMITED (with Retry-After) past either limit. */
  async attempt(req: Request, res: Response, email: string): Promise<void> {
    const blockedMs = this.limits.authBlockedMs(req);
    if (blockedMs > 0) throw this.limits.authBlocked(req, res, blockedMs);
    const results = await Promise.all([
      this.perAddress.consume(clientAddress(req)).then(
        () => null,
        (refused: unknown) => refused,
      ),
      this.perEmail.consume(emailKey(email)).then(
        () => null,
        (refused: unknown) => refused,
      ),
    ]);
    for (const refused of results) {
      if (refused === null) continue;
      // Neither Redis nor the in-memory insurance answered: let the attempt through.
      if (!(refused instanceof RateLimiterRes)) {
        this.limits.warnOutage(refused);
        continue;
      }
      throw tooManyRequests(
        req,
        res,
        refused.msBeforeNext,
        ErrorCode.RateLimited,
        'Too many sign-in attempts; retry after Retry-After seconds.',
        { limit: 'signIn' },
      );
    }
  }

  /** A wrong email or password: counts against the address like any refused credential. */
  failed(req: Request, res: Response): Promise<void> {
    return this.limits.authFailed(req, res);
  }

  /** A right one: that email starts again with its full allowance. */
  async succeeded(email: string): Promise<void> {
    await this.perEmail.delete(emailKey(email)).catch(() => undefined);
  }
}

/** Counters are keyed by the email's hash: no address of a person in Redis. */
function emailKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
}
