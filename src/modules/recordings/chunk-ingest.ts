import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { timestampProblem } from './event-time';
import { RecordingReader, RecordingTooLargeError } from './recording-reader';
import { inflateMeterOf } from './inflate-meter';

export interface ChunkBudget {
  /** Compressed bytes this chunk may still add to its recording. */
  compressed: number;
  /** Inflated bytes this chunk may still add. */
  inflated: number;
}

export interface IngestedChunk {
  /** What gets stored: the gzip as uploaded, or our gzip of a plain upload. */
  gz: Buffer;
  inflatedBytes: number;
  events: number;
  contentHash: string;
}

export type OverLimit = 'compressed' | 'inflated';

export class ChunkOverLimitError extends Error {
  constructor(
    readonly limit: OverLimit,
    readonly limitBytes: number,
  ) {
    super(`The recording is over its ${limit} size limit of ${limitBytes} bytes`);
    this.name = 'ChunkOverLimitError';
  }
}

export class ChunkNotEventsError extends Error {
  /** `field`: the element at fault, e.g. `[3].timestamp`, when there is one. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ChunkNotEventsError';
  }
}

function isEvent(value: unknown): boolean {
  if (typeof value === 'string') return value.length > 0;
  const event = value as { type?: unknown; timestamp?: unknown } | null;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.type === 'number' &&
    typeof event.timestamp === 'number'
  );
}

/**
 * Reads one uploaded chunk (a JSON array of rrweb events, plain or gzip) while it streams in,
 * refusing it as soon as it would take its recording over a limit, so neither a large upload
 * nor a gzip bomb is ever held or inflated past the budget.
 */
export async function ingestChunk(
  body: AsyncIterable<Buffer>,
  gzipped: boolean,
  budget: ChunkBudget,
): Promise<IngestedChunk> {
  const stored: Buffer[] = [];
  let storedBytes = 0;
  const keep = (piece: Buffer) => {
    storedBytes += piece.length;
    if (storedBytes > budget.compressed)
      throw new ChunkOverLimitError('compressed', budget.compressed);
    stored.push(piece);
  };
  // A plain upload is gzipped as it streams; its size is checked once it is whole.
  const gzip = gzipped ? null : createGzip();
  const gzipped$: Buffer[] = [];
  gzip?.on('data', (piece: Buffer) => gzipped$.push(piece));
  const hash = createHash('sha256');

  const tapped = async function* (): AsyncGenerator<Buffer> {
    for await (const piece of body) {
      if (gzipped) keep(piece);
      else gzip!.write(piece);
      yield piece;
    }
  };
  // The HTTP layer's per-chunk limit and hourly quota, when it attached them to the body.
  const meter = inflateMeterOf(body);
  const meterBinds = meter !== undefined && meter.maxBytes < budget.inflated;
  const reader = new RecordingReader(meterBinds ? meter.maxBytes : budget.inflated);
  let events = 0;
  try {
    for await (const batch of reader.batches(Readable.from(tapped()))) {
      for (const [i, event] of batch.entries()) {
        // Packed (string) events carry their time inside; the analyzer reads it.
        const time =
          typeof event === 'object' &&
          isEvent(event) &&
          timestampProblem((event as { timestamp?: unknown }).timestamp);
        if (time) throw new ChunkNotEventsError(time, `[${events + i}].timestamp`);
        if (!isEvent(event)) {
          throw new ChunkNotEventsError(
            'A chunk is a JSON array of rrweb events: objects with a numeric type and timestamp, or strings packed by @rrweb/packer.',
          );
        }
        hash.update(typeof event === 'string' ? event : JSON.stringify(event));
      }
      events += batch.length;
    }
  } catch (error) {
    if (error instanceof RecordingTooLargeError) {
      // Over this request's own limit: refused alone; the recording stays open.
      if (meterBinds) throw meter.overLimit();
      throw new ChunkOverLimitError('inflated', budget.inflated);
    }
    throw error;
  } finally {
    meter?.done(reader.bytes);
  }
  if (reader.problems.truncated || reader.problems.malformed) {
    throw new ChunkNotEventsError(
      reader.problems.truncated
        ? 'The chunk is cut off before its end.'
        : 'The chunk has elements that are not JSON.',
    );
  }
  if (gzip) {
    const ended = once(gzip, 'end');
    gzip.end();
    await ended;
    for (const piece of gzipped$) keep(piece);
  }
  return {
    gz: Buffer.concat(stored),
    inflatedBytes: reader.bytes,
    events,
    contentHash: hash.digest('hex'),
  };
}
