import type { Request } from 'express';
import { createGunzip } from 'node:zlib';
import { DomainError, ErrorCode } from '../../common/errors';
import { invalidEmail } from './email-errors';

function tooLarge(limitBytes: number): DomainError {
  return new DomainError(
    413,
    ErrorCode.PayloadTooLarge,
    `The mail is larger than the limit of ${limitBytes} bytes (counted after decompression).`,
    { field: 'body', limitBytes },
  );
}

/**
 * Reads a raw mail from the request (plain, or Content-Encoding: gzip), refusing it as soon as
 * it passes `limitBytes` while it streams in, so neither a large mail nor a gzip bomb is held
 * or inflated past the limit. Refusals are the API's errors: 415 for the type or encoding,
 * 413 for the size, 400 for a gzip stream that does not decode.
 */
export async function readRawEmail(req: Request, limitBytes: number): Promise<Buffer> {
  if (!req.is('message/rfc822')) {
    throw new DomainError(
      415,
      ErrorCode.UnsupportedMediaType,
      'Send the raw mail as Content-Type: message/rfc822.',
      { field: 'Content-Type', received: req.header('content-type') ?? null },
    );
  }
  const encoding = (req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new DomainError(
      415,
      ErrorCode.UnsupportedMediaType,
      'Unsupported Content-Encoding; use gzip or none.',
      { field: 'Content-Encoding' },
    );
  }
  const declared = Number(req.header('content-length'));
  if (encoding === 'identity' && Number.isFinite(declared) && declared > limitBytes) {
    throw tooLarge(limitBytes);
  }
  const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const pieces: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const piece of source as AsyncIterable<Buffer>) {
      bytes += piece.length;
      if (bytes > limitBytes) throw tooLarge(limitBytes);
      pieces.push(piece);
    }
  } catch (error) {
    if (encoding === 'gzip') (source as ReturnType<typeof createGunzip>).destroy();
    if (error instanceof DomainError) throw error;
    if ((error as { code?: string }).code?.startsWith('Z_')) {
      throw invalidEmail('body', 'The gzip body could not be decoded.');
    }
    throw error;
  }
  return Buffer.concat(pieces);
}
