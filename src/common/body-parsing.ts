import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
  type Type,
} from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { json, type NextFunction, type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, ErrorCode, type FieldProblem } from './errors';
import { sendError } from './error-body';
import { requestIdOf } from './request-id';
import { isStorableText } from './storable-text';
import type { AppConfig } from '../config/config.schema';
import { InjectConfig } from '../config/config.module';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
// What requireJson lets through is exactly what jsonBody parses.
const JSON_TYPES = ['application/json', '+json'];

function hasBody(req: Request): boolean {
  const length = req.header('content-length');
  return req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** A body that is not JSON, as the API's 415; null when the request has none or it is JSON. */
export function notJson(req: Request): DomainError | null {
  if (!METHODS_WITH_BODY.has(req.method) || !hasBody(req) || req.is(JSON_TYPES)) return null;
  return new DomainError(
    415,
    ErrorCode.UnsupportedMediaType,
    'Send the body as JSON (Content-Type: application/json).',
    { field: 'Content-Type', received: req.header('content-type') ?? null },
  );
}

// The widget's routes check the type themselves, once they know whether the page's origin may
// read the answer (WidgetAccessMiddleware): a 415 sent from here would carry no CORS headers.
const WIDGET_PATH = /^\/v1\/widget\//;
// POST /v1/emails takes a raw mail (message/rfc822) and answers a wrong type itself (415); the
// provider webhooks under /v1/emails/webhooks/ read their own JSON or form bodies.
const EMAIL_PATH = /^\/v1\/emails(?:\/?(?:\?|$)|\/webhooks\/)/;

/** The API speaks JSON; anything else is refused before it is read (widget, email: see above). */
export function requireJson(req: Request, res: Response, next: NextFunction): void {
  const ownType = WIDGET_PATH.test(req.originalUrl) || EMAIL_PATH.test(req.originalUrl);
  const refusal = ownType ? null : notJson(req);
  if (refusal) {
    const { status, code, message, details } = refusal;
    sendError(res, status, code, message, requestIdOf(req), details);
    return;
  }
  next();
}

/** A request whose exact bytes were kept, for a route that checks a signature over them. */
export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

const WEBHOOK_PATH = /^\/v1\/webhooks\//;

// Webhook signatures cover the bytes as sent; re-serialising the parsed body would not match.
function keepWebhookRawBody(req: IncomingMessage, _res: ServerResponse, raw: Buffer): void {
  if (WEBHOOK_PATH.test(req.url ?? '')) (req as RawBodyRequest).rawBody = raw;
}

/**
 * Answering before the body is read (a refused credential, a rate limit): the connection is
 * closed after the answer instead of being kept alive, so the rest of the body is never read.
 */
export function closeIfUnread(req: Request, res: Response): void {
  if (hasBody(req) && !req.complete && !res.headersSent) res.setHeader('Connection', 'close');
}

/**
 * JSON bodies, plain or gzip/deflate/br encoded, read by a global guard that runs after the
 * AuthGuard: a body is read only once its credential (and rate limit) passed. `limit` counts
 * inflated bytes while they stream through zlib, so a small body that inflates to gigabytes is
 * cut off at the limit.
 */
export class JsonBodyGuard implements CanActivate {
  private readonly parse: ReturnType<typeof json>;

  constructor(
    limitBytes: number,
    /** Routes that read their own body as a stream (recording chunks). */
    private readonly streamedRoutes: RegExp[] = [],
    /** Finds routes marked @CheckThenReadBody, whose body is read after their own guard. */
    private readonly reflector?: Reflector,
  ) {
    this.parse = json({
      limit: limitBytes,
      inflate: true,
      strict: true,
      type: JSON_TYPES,
      verify: keepWebhookRawBody,
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const later = this.reflector?.getAllAndOverride<boolean | undefined>(BODY_AFTER_OWN_CHECK, [
      context.getHandler(),
      context.getClass(),
    ]);
    return later ? true : this.read(context);
  }

  /** Reads and parses the request's JSON body (refusals as the API's errors). */
  async read(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (this.streamedRoutes.some((route) => route.test(req.path))) return true;
    await new Promise<void>((resolve, reject) => {
      this.parse(req, res, (error?: unknown) => (error ? reject(bodyError(error)) : resolve()));
    });
    return true;
  }
}

const BODY_AFTER_OWN_CHECK = 'repro:body-after-own-check';

/** Reads the body after a route's own guards (see CheckThenReadBody). */
@Injectable()
class ReadBodyAfterCheckGuard implements CanActivate {
  private readonly reader: JsonBodyGuard;

  constructor(@InjectConfig() config: AppConfig) {
    this.reader = new JsonBodyGuard(config.REPORT_BODY_LIMIT_BYTES);
  }

  canActivate(context: ExecutionContext): Promise<boolean> {
    return this.reader.read(context);
  }
}

/**
 * For a public route with its own credential check: the global body reader leaves it alone, and
 * its body is read only once `guards` passed, so an unknown caller costs no parsing.
 */
export const CheckThenReadBody = (...guards: Type<CanActivate>[]) =>
  applyDecorators(
    SetMetadata(BODY_AFTER_OWN_CHECK, true),
    UseGuards(...guards, ReadBodyAfterCheckGuard),
  );

/**
 * For a public route that reads its body itself as a stream (a widget's recording chunks), after
 * its own guards: the global body reader leaves it alone.
 */
export const ReadsOwnBody = () => SetMetadata(BODY_AFTER_OWN_CHECK, true);

/** Keys that name an object's prototype in JavaScript; no field of the API is called so. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper nesting is refused: class-transformer recurses, and overflows the stack past ~1,000. */
export const MAX_BODY_DEPTH = 512;

function unstorable(text: string): boolean {
  return !isStorableText(text);
}

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | null;
  depth: number;
  /** Inside a field stored as bytes (a recording), where any text is fine. */
  opaque: boolean;
}

function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let at: Visit | null = visit; at?.parent; at = at.parent) keys.unshift(at.key);
  return keys.join('.') || 'body';
}

/**
 * What a parsed JSON body holds that is valid JSON but that the API cannot take: a top-level
 * array, nesting deeper than MAX_BODY_DEPTH, or text PostgreSQL cannot store (except under the
 * top-level `opaque` fields, which are stored compressed as bytes). Null when none.
 */
export function jsonBodyProblem(body: unknown, opaque: string[] = []): FieldProblem | null {
  if (Array.isArray(body)) return { field: 'body', message: 'must be a JSON object, not an array' };
  // Iterative, so that the check itself cannot overflow the stack.
  const pending: Visit[] = [{ value: body, key: '', parent: null, depth: 0, opaque: false }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const { value, depth } = visit;
    if (typeof value === 'string' && !visit.opaque && unstorable(value)) {
      return {
        field: pathOf(visit),
        message: 'must not contain NUL characters or lone surrogates',
      };
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      return { field: pathOf(visit), message: `nests deeper than ${MAX_BODY_DEPTH} levels` };
    }
    for (const [key, child] of Object.entries(value)) {
      if (!visit.opaque && unstorable(key)) {
        return {
          field: pathOf(visit),
          message: 'has a key with NUL characters or lone surrogates',
        };
      }
      if (!visit.opaque && PROTOTYPE_KEYS.has(key)) {
        // Refused rather than dropped on the way to the DTO: the sender learns it was not taken.
        const at = pathOf(visit);
        return {
          field: at === 'body' ? key : `${at}.${key}`,
          message: 'is not a field the API takes (a JavaScript prototype key)',
        };
      }
      const isOpaque = visit.opaque || (depth === 0 && opaque.includes(key));
      pending.push({ value: child, key, parent: visit, depth: depth + 1, opaque: isOpaque });
    }
  }
  return null;
}

/**
 * A body-parser failure as the API's error (413, 415 or 400 naming the field); anything else is
 * returned as it is.
 */
export function bodyError(thrown: unknown): Error {
  const error = thrown as BodyParserError;
  switch (error.type) {
    case 'entity.too.large':
      return new DomainError(
        413,
        ErrorCode.PayloadTooLarge,
        `The body is larger than the limit of ${error.limit} bytes (counted after decompression).`,
        { field: 'body', limitBytes: error.limit },
      );
    case 'entity.parse.failed':
      return new DomainError(400, ErrorCode.MalformedJson, 'The body is not valid JSON.', {
        field: 'body',
      });
    case 'encoding.unsupported':
      return new DomainError(
        415,
        ErrorCode.UnsupportedMediaType,
        'Unsupported Content-Encoding; use gzip, deflate, br or none.',
        { field: 'Content-Encoding' },
      );
    case 'charset.unsupported':
      return new DomainError(
        415,
        ErrorCode.UnsupportedMediaType,
        'Unsupported charset; send UTF-8.',
        {
          field: 'Content-Type',
        },
      );
    case 'request.aborted':
    case 'request.size.invalid':
      return new DomainError(
        400,
        ErrorCode.MalformedJson,
        'The body was cut short or does not match its Content-Length.',
        { field: 'body' },
      );
    default:
      // A corrupt gzip stream surfaces as a zlib error with status 400.
      if (error.status === 400 || (error as { code?: string }).code === 'Z_DATA_ERROR') {
        return new DomainError(400, ErrorCode.MalformedJson, 'The body could not be decoded.', {
          field: 'body',
        });
      }
      return thrown instanceof Error ? thrown : new Error(String(thrown));
  }
}
