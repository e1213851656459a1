import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { closeIfUnread, notJson } from '../../common/body-parsing';
import { DomainError, ErrorCode, UnauthorizedError } from '../../common/errors';
import { RateLimits } from '../../common/rate-limit';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { originAllowed } from './origins';
import type { WidgetRequest } from './widget-request';
import { WidgetService } from './widget.service';

const KEY_IN_PATH = /^\/v1\/widget\/([^/?#]*)/;

/** What a preflight may ask for, and what the widget's script reads from an answer. */
const CORS = {
  methods: 'GET, POST',
  headers: 'Content-Type, Content-Encoding, Idempotency-Key, Authorization',
  exposed: 'Retry-After, Idempotent-Replayed',
  maxAgeSeconds: '600',
};

/**
 * `/v1/widget/:key/…`, before any guard: finds the project of the key in the path, answers CORS
 * preflights for the origins it allows (and PUBLIC_URL's), refuses unknown keys (401) and other
 * origins or none (403), counts the request against the key's own limit and refuses a body that
 * is not JSON (415; requireJson leaves widget routes to this). Runs before the AuthGuard (which
 * counts the address), so that every answer, 429s and 415s included, carries the CORS headers a
 * page needs to read it.
 */
@Injectable()
export class WidgetAccessMiddleware implements NestMiddleware {
  constructor(
    private readonly widget: WidgetService,
    private readonly limits: RateLimits,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Errors thrown here reach the API's exception filter (a database outage is a 503). */
  async use(req: WidgetRequest, res: Response, next: NextFunction): Promise<void> {
    try {
      if (await this.admit(req, res)) next();
    } catch (error) {
      closeIfUnread(req, res);
      throw error;
    }
  }

  /** True when the request goes on to its route; false when it was answered here. */
  private async admit(req: WidgetRequest, res: Response): Promise<boolean> {
    res.vary('Origin');
    const origin = req.header('origin');
    // An address blocked for guessing keys is refused from memory, before any lookup.
    const blockedMs = this.limits.authBlockedMs(req);
    if (blockedMs > 0) throw this.limits.authBlocked(req, res, blockedMs);
    const key = decodeKey(KEY_IN_PATH.exec(req.originalUrl)?.[1] ?? '');
    const project = await this.widget.projectByKey(key);
    const allowed = originAllowed(
      origin,
      project?.widgetAllowedOrigins ?? [],
      this.config.PUBLIC_URL,
      // Repro's own pages, on whatever address they were opened (behind a proxy, as it says).
      `${req.protocol}://${req.get('host') ?? ''}`,
    );
    if (allowed && origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', CORS.exposed);
    }
    if (!project) {
      await this.limits.authFailed(req, res);
      throw new UnauthorizedError('Unknown widget key.');
    }
    if (req.method === 'OPTIONS') {
      // A preflight reaches no route, so the address is counted here.
      await this.limits.forAddress(req, res);
      if (!allowed) throw originRefused(origin);
      res.setHeader('Access-Control-Allow-Methods', CORS.methods);
      res.setHeader('Access-Control-Allow-Headers', CORS.headers);
      res.setHeader('Access-Control-Max-Age', CORS.maxAgeSeconds);
      res.status(204).end();
      return false;
    }
    if (!allowed) {
      await this.limits.forAddress(req, res);
      throw originRefused(origin);
    }
    await this.limits.forWidgetKey(project.id, req, res);
    // requireJson leaves widget routes to this check, made once the answer is readable.
    const refusal = notJson(req);
    if (refusal) throw refusal;
    req.widgetProject = project;
    return true;
  }
}

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return '';
  }
}

function originRefused(origin: string | undefined): DomainError {
  return new DomainError(
    403,
    ErrorCode.OriginNotAllowed,
    origin
      ? 'This page is not on the allowed origins of this widget key (repro widget --allowed-origins).'
      : 'The widget key is for pages in a browser: the request has no Origin header.',
    { field: 'Origin', origin: origin ?? null },
  );
}
