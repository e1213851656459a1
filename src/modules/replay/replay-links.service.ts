import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { UnauthorizedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { AppSecret } from './entities/app-secret.entity';

/** How long a replay link (the one put into tickets) opens the replay: 90 days. */
export const REPLAY_LINK_TTL_SECONDS = 90 * 24 * 60 * 60;
/** The replay page's own fetches carry a fresh link this short-lived, whatever opened the page. */
export const REPLAY_PAGE_TOKEN_TTL_SECONDS = 15 * 60;
/** Row of `app_secrets` holding the HMAC key; renaming it would invalidate every link issued. */
export const REPLAY_KEY_NAME = 'replay-link-hmac-sha256';

const EXP_PATTERN = /^[1-9]\d{0,11}$/;
// HMAC-SHA256 is 32 bytes: 43 base64url characters without padding.
const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ReplayToken {
  /** Unix seconds. */
  exp: number;
  sig: string;
}

/**
 * Signed, expiring replay links: `/replay/:reportId?t=&exp=&sig=` where sig is HMAC-SHA256 of
 * `reportId.exp`. `t` is left unsigned so a viewer may seek. The key lives in PostgreSQL, so
 * every API and worker process signs and checks alike without configuration.
 */
@Injectable()
export class ReplayLinksService {
  private key: Promise<Buffer> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The link to put into a ticket: opens the replay at `tMs` for REPLAY_LINK_TTL_SECONDS. */
  async linkFor(reportId: string, tMs: number, now = Date.now()): Promise<string> {
    const t = Number.isFinite(tMs) ? Math.max(0, Math.round(tMs)) : 0;
    const { exp, sig } = await this.token(reportId, REPLAY_LINK_TTL_SECONDS, now);
    return `${this.config.PUBLIC_URL}/replay/${encodeURIComponent(reportId)}?t=${t}&exp=${exp}&sig=${sig}`;
  }

  /** The ticket's replay link: at the moment of failure, for a kept, analysed recording; else null. */
  async linkAtFailure(
    reportId: string,
    recording: { status: string; analysis: { failure: { t: number } | null } | null } | null,
  ): Promise<string | null> {
    if (!recording?.analysis || recording.status === 'refused') return null;
    return this.linkFor(reportId, recording.analysis.failure?.t ?? 0);
  }

  /** A signature valid until `now + ttlSeconds`. */
  async token(reportId: string, ttlSeconds: number, now = Date.now()): Promise<ReplayToken> {
    const exp = Math.floor(now / 1000) + ttlSeconds;
    return { exp, sig: await this.sign(reportId, exp) };
  }

  /** HMAC-SHA256 (base64url) of `reportId.exp`; `exp` in unix seconds. */
  async sign(reportId: string, exp: number): Promise<string> {
    return createHmac('sha256', await this.signingKey())
      .update(`${reportId}.${exp}`)
      .digest('base64url');
  }

  /** Throws UnauthorizedError unless `sig` signs this report and `exp` is still ahead. */
  async verify(reportId: string, exp: unknown, sig: unknown, now = Date.now()): Promise<void> {
    if (
      typeof exp !== 'string' ||
      typeof sig !== 'string' ||
      !EXP_PATTERN.test(exp) ||
      !SIG_PATTERN.test(sig)
    ) {
      throw new UnauthorizedError('This replay link is incomplete or malformed.');
    }
    const expected = Buffer.from(await this.sign(reportId, Number(exp)), 'base64url');
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedError('This replay link is not valid.');
    }
    // Only a genuine link is told it expired.
    if (Number(exp) * 1000 <= now) {
      throw new UnauthorizedError(
        `This replay link expired on ${new Date(Number(exp) * 1000).toISOString()}; ask for a new one.`,
      );
    }
  }

  private signingKey(): Promise<Buffer> {
    // Never changes once stored, so one read per process is enough; a failed read is retried.
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = null;
      throw error;
    });
    return this.key;
  }

  private async loadKey(): Promise<Buffer> {
    // Insert-or-ignore, then read: processes racing on first use all end up with the winner's key.
    await this.db
      .createQueryBuilder()
      .insert()
      .into(AppSecret)
      .values({ name: REPLAY_KEY_NAME, value: randomBytes(32).toString('base64url') })
      .orIgnore()
      .execute();
    const row = await this.db.getRepository(AppSecret).findOneByOrFail({ name: REPLAY_KEY_NAME });
    return Buffer.from(row.value, 'base64url');
  }
}
