import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { closeIfUnread, notJson } from '../../common/body-parsing';
import { DomainError, ErrorCode } from '../../common/errors';
import { RateLimits } from '../../common/rate-limit';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { originAllowed } from '../../common/origins';
import type { WidgetRequest } from './widget-request';
import { WidgetService } from './widget.service';

const KEY_IN_PATH = /^\/v1\/widget\/([^/?#]*)/;

/** What a preflight may ask for, and what the widget's script reads from an answer. */
const CORS = {
  methods: 'GET, POST, PUT',
  headers: 'Content-Type, Content-Encoding, Idempotency-Key, Authorization',
  exposed: 'Retry-After, Idempotent-Replayed',
  maxAgeSeconds: '600',
};

/**
 * `/v1/widget/:key/…`, before any guard: finds the project of the key in the path, answers CORS
 * preflights for the origins it allows (and PUBLIC_URL's), refuses unknown keys (401, see
 * unknownKey) and other origins or none (403), counts the request against the key's own limit and refuses a body that
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
    const key = decodeKey(KEY_IN_PATH.exec(req.originalUrl)?.[1] ?? '');
    const project = await this.lookUp(key, res, origin);
    if (!project) return this.unknownKey(req, res, origin);
    const allowed = originAllowed(
      origin,
      project.widgetAllowedOrigins,
      this.config.PUBLIC_URL,
      // Repro's own pages, on whatever address they were opened (behind a proxy, as it says).
      `${req.protocol}://${req.get('host') ?? ''}`,
    );
    if (allowed && origin) this.readableBy(res, origin);
    if (req.method === 'OPTIONS') {
      // A preflight reaches no route, so the address is counted here.
      await this.limits.forAddress(req, res);
      if (!allowed) throw originRefused(origin);
      this.preflight(res);
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

  /**
   * Widget keys are public, so an unknown one is not a guess at a secret: it is a page with a
   * stale snippet or a rotated key, seen by every visitor (many behind one NAT). It counts against
   * the address like any public request, never towards the block for failed authentications
   * (which would also shut that address out of the API), and its answers are readable from any
   * page: the preflight passes and the 401 says why, so the widget stops retrying and reports
   * UNAUTHORIZED instead of a network error. Nothing is revealed: there is no project to protect.
   */
  private async unknownKey(
    req: WidgetRequest,
    res: Response,
    origin: string | undefined,
  ): Promise<false> {
    const fromPage = origin !== undefined && origin !== 'null';
    if (fromPage) this.readableBy(res, origin);
    await this.limits.forAddress(req, res);
    if (req.method === 'OPTIONS' && fromPage) {
      this.preflight(res);
      return false;
    }
    throw new DomainError(
      401,
      ErrorCode.Unauthorized,
      'Unknown widget key: it was rotated or mistyped (repro widget prints the current one).',
      { field: 'key' },
    );
  }

  /**
   * The key's project. When the lookup fails (a database outage: 503 with Retry-After), the
   * answer is readable by any page, as it says nothing about the project: the widget then
   * retries later instead of taking it for a blocked request.
   */
  private async lookUp(key: string, res: Response, origin: string | undefined) {
    try {
      return await this.widget.projectByKey(key);
    } catch (error) {
      if (origin !== undefined && origin !== 'null') this.readableBy(res, origin);
      throw error;
    }
  }

  private readableBy(res: Response, origin: string): void {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', CORS.exposed);
  }

  /** The 204 answer to an admitted preflight. */
  private preflight(res: Response): void {
    res.setHeader('Access-Control-Allow-Methods', CORS.methods);
    res.setHeader('Access-Control-Allow-Headers', CORS.headers);
    res.setHeader('Access-Control-Max-Age', CORS.maxAgeSeconds);
    res.status(204).end();
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
