/**
 * What a chunk may inflate to in this request, handed to ingestChunk with the body (the
 * recordings service passes the body through untouched, so the limits travel with it).
 */
export interface InflateMeter {
  /** Inflated bytes this request may read: the per-chunk limit or what is left of the quota. */
  maxBytes: number;
  /** The error for crossing maxBytes: 413 (the chunk limit) or 429 (the hourly quota). */
  overLimit(): Error;
  /** Called once with the inflated bytes actually read, taken or not: they cost CPU either way. */
  done(bytes: number): void;
}

const METER = Symbol('repro.inflateMeter');

/** `body` carrying `meter`, for ingestChunk to find. */
export function withInflateMeter<T extends object>(body: T, meter: InflateMeter): T {
  return Object.assign(body, { [METER]: meter });
}

/** The meter attached to a chunk body, if any. */
export function inflateMeterOf(body: object): InflateMeter | undefined {
  return (body as { [METER]?: InflateMeter })[METER];
}
