import { json, type NextFunction, type Request, type Response } from 'express';
import { ErrorCode } from './errors';
import { sendError } from './error-body';
import { requestIdOf } from './request-id';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(req: Request): boolean {
  const length = req.header('content-length');
  return req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** The API speaks JSON; anything else is refused before it is read. */
export function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is(['application/json', '+json'])) {
    sendError(
      res,
      415,
      ErrorCode.UnsupportedMediaType,
      'Send the body as JSON (Content-Type: application/json).',
      requestIdOf(req),
      { field: 'Content-Type', received: req.header('content-type') ?? null },
    );
    return;
  }
  next();
}

/**
 * JSON bodies, plain or gzip/deflate/br encoded. `limit` counts inflated bytes while they
 * stream through zlib, so a small body that inflates to gigabytes is cut off at the limit.
 */
export function jsonBody(limitBytes: number) {
  return json({ limit: limitBytes, inflate: true, strict: true });
}

/** Turns body-parser failures into the API's error format instead of Express's HTML page. */
export function bodyErrorHandler(
  error: BodyParserError,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  const requestId = requestIdOf(req);
  switch (error.type) {
    case 'entity.too.large':
      return sendError(
        res,
        413,
        ErrorCode.PayloadTooLarge,
        `The body is larger than the limit of ${error.limit} bytes (counted after decompression).`,
        requestId,
        { field: 'body', limitBytes: error.limit },
      );
    case 'entity.parse.failed':
      return sendError(
        res,
        400,
        ErrorCode.MalformedJson,
        'The body is not valid JSON.',
        requestId,
        {
          field: 'body',
        },
      );
    case 'encoding.unsupported':
      return sendError(
        res,
        415,
        ErrorCode.UnsupportedMediaType,
        'Unsupported Content-Encoding; use gzip, deflate, br or none.',
        requestId,
        { field: 'Content-Encoding' },
      );
    case 'charset.unsupported':
      return sendError(
        res,
        415,
        ErrorCode.UnsupportedMediaType,
        'Unsupported charset; send UTF-8.',
        requestId,
        { field: 'Content-Type' },
      );
    case 'request.aborted':
    case 'request.size.invalid':
      return sendError(
        res,
        400,
        ErrorCode.MalformedJson,
        'The body was cut short or does not match its Content-Length.',
        requestId,
        { field: 'body' },
      );
    default:
      // A corrupt gzip stream surfaces as a zlib error with status 400.
      if (error.status === 400 || (error as { code?: string }).code === 'Z_DATA_ERROR') {
        return sendError(
          res,
          400,
          ErrorCode.MalformedJson,
          'The body could not be decoded.',
          requestId,
          { field: 'body' },
        );
      }
      return next(error);
  }
}
