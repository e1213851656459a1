import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import * as Sentry from '@sentry/node';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode } from './errors';
import { sendError } from './error-body';
import { requestIdOf } from './request-id';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  503: ErrorCode.Unavailable,
};

/** Seconds a client should wait before retrying when a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

export type Dependency = 'postgres' | 'redis';

// Socket errors: from pg (ioredis turns them into its own errors, below).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// 08xxx connection exceptions; 57P01-3 admin/crash shutdown, cannot connect now; 53300 too many
// connections; 57014 statement timeout (the server is too slow to answer in time).
const PG_UNAVAILABLE = /^(0800[0-46]|57P0[123]|53300|57014)$/;
const PG_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: no connection within connectionTimeoutMillis
  'Connection terminated',
  'Client has encountered a connection error',
  'the database system is',
];
const REDIS_MESSAGES = [
  "Stream isn't writeable", // ioredis with the offline queue off: not connected
  'Connection is closed',
  'Reached the max retries per request limit',
  'Command timed out', // ioredis commandTimeout: connected, but Redis does not answer
];

/**
 * Which dependency an error says is unreachable, or null when it is some other error. Never
 * relabels a query's own failure (a constraint, a syntax error) as an outage.
 */
export function unavailableDependency(error: unknown): Dependency | null {
  // Duck-typed: errors from node's sockets may come from another realm (as under jest).
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { name?: unknown; message?: unknown; code?: unknown; driverError?: unknown };
  const message = e.message;
  if (typeof message !== 'string') return null;
  if (e.name === 'MaxRetriesPerRequestError') return 'redis';
  // TypeORM: a query on a transaction whose connection was already given up (the pool timed
  // out or the server went away mid-transaction, seen under load after a restart). The
  // transaction was rolled back, so the client's retry is safe.
  if (e.name === 'QueryRunnerAlreadyReleasedError') return 'postgres';
  if (REDIS_MESSAGES.some((m) => message.includes(m))) return 'redis';
  const code = typeof e.code === 'string' ? e.code : '';
  if (PG_UNAVAILABLE.test(code) || NETWORK_CODES.has(code)) return 'postgres';
  if (PG_MESSAGES.some((m) => message.includes(m))) return 'postgres';
  return e.driverError ? unavailableDependency(e.driverError) : null;
}

const DEPENDENCY_NAMES: Record<Dependency, string> = { postgres: 'PostgreSQL', redis: 'Redis' };

/** The one place errors become HTTP: `{ error: { code, message, details?, requestId } }`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const requestId = requestIdOf(req);
    if (res.headersSent) return;

    if (exception instanceof DomainError) {
      if (exception.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return sendError(
        res,
        exception.status,
        exception.code,
        exception.message,
        requestId,
        exception.details,
      );
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      const code = CODE_BY_STATUS[status] ?? ErrorCode.ValidationFailed;
      const message = status === 404 ? 'Not found.' : exception.message;
      return sendError(res, status, code, message, requestId);
    }

    const dependency = unavailableDependency(exception);
    if (dependency) {
      // One line without a stack: an outage is not a bug, and pg/ioredis messages carry no secret.
      this.logger.warn(
        { requestId, dependency, reason: (exception as { message: string }).message },
        `${DEPENDENCY_NAMES[dependency]} unavailable`,
      );
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return sendError(
        res,
        503,
        ErrorCode.DependencyUnavailable,
        `${DEPENDENCY_NAMES[dependency]} is unavailable right now; retry after ${RETRY_AFTER_SECONDS} s with the same Idempotency-Key.`,
        requestId,
        { dependency },
      );
    }

    // Unexpected: log everything, tell the client only the request id.
    this.logger.error({ err: exception, requestId }, 'Unhandled error');
    Sentry.withScope((scope) => {
      scope.setTag('request_id', requestId);
      Sentry.captureException(exception);
    });
    sendError(
      res,
      500,
      ErrorCode.Internal,
      'Something went wrong on our side. Quote the request id when you contact us.',
      requestId,
    );
  }
}
