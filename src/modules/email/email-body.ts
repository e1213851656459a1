import { raw, type Request, type Response } from 'express';
import { DomainError, ErrorCode } from '../../common/errors';
import { invalidEmail } from './email-errors';

const MAIL_TYPE = 'message/rfc822';

function tooLarge(limitBytes: number): DomainError {
  return new DomainError(
    413,
    ErrorCode.PayloadTooLarge,
    `The mail is larger than the limit of ${limitBytes} bytes (counted after decompression).`,
    { field: 'body', limitBytes },
  );
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  code?: string;
  limit?: number;
}

/** body-parser's refusals as the API's: 413 for the size, 415 for the encoding, 400 otherwise. */
function rawBodyError(thrown: unknown, limitBytes: number): Error {
  const error = thrown as BodyParserError;
  switch (error.type) {
    case 'entity.too.large':
      return tooLarge(limitBytes);
    case 'encoding.unsupported':
      return new DomainError(
        415,
        ErrorCode.UnsupportedMediaType,
        'Unsupported Content-Encoding; use gzip, deflate, br or none.',
        { field: 'Content-Encoding' },
      );
    case 'request.size.invalid':
    case 'request.aborted':
      return invalidEmail('body', 'The body was cut short or does not match its Content-Length.');
    default:
      // A corrupt gzip (or deflate, br) stream: zlib's error, which body-parser marks 400.
      if (error.code?.startsWith('Z_') || error.code?.startsWith('ERR_BROTLI')) {
        return invalidEmail('body', 'The compressed body could not be decoded.');
      }
      return thrown instanceof Error ? thrown : new Error(String(thrown));
  }
}

/** body-parser's raw reader, one per limit (the limit is the app's config, so in practice one). */
const readers = new Map<number, ReturnType<typeof raw>>();

function readerFor(limitBytes: number): ReturnType<typeof raw> {
  let reader = readers.get(limitBytes);
  if (!reader) {
    // raw-body counts the limit on the bytes that come out of zlib and stops inflating there,
    // so a small gzip body that inflates to gigabytes is refused at the limit.
    reader = raw({ type: MAIL_TYPE, inflate: true, limit: limitBytes });
    readers.set(limitBytes, reader);
  }
  return reader;
}

/**
 * Reads a raw mail from the request (plain, or Content-Encoding gzip, deflate or br) through
 * body-parser's raw reader, refusing it once it passes `limitBytes` after decompression, so
 * neither a large mail nor a gzip bomb is held or inflated past the limit. Refusals are the API's
 * errors: 415 for the type or encoding, 413 for the size, 400 for a stream that does not decode.
 */
export async function readRawEmail(
  req: Request,
  res: Response,
  limitBytes: number,
): Promise<Buffer> {
  if (!req.is(MAIL_TYPE)) {
    throw new DomainError(
      415,
      ErrorCode.UnsupportedMediaType,
      `Send the raw mail as Content-Type: ${MAIL_TYPE}.`,
      { field: 'Content-Type', received: req.header('content-type') ?? null },
    );
  }
  // A declared length over the limit is refused before a byte is read (body-parser would read
  // the whole body off the socket first, to answer on a kept-alive connection).
  const declared = Number(req.header('content-length'));
  const encoded = (req.header('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
  if (!encoded && Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  await new Promise<void>((resolve, reject) => {
    readerFor(limitBytes)(req, res, (error?: unknown) =>
      error ? reject(rawBodyError(error, limitBytes)) : resolve(),
    );
  });
  const body: unknown = req.body;
  // No body at all leaves req.body unset: an empty mail, which the parser refuses as such.
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
