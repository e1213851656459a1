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
