import { createGunzip, gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
/** zlib writes 16 KB pieces by default, each a thread-pool round trip; 256 KB cuts those 16-fold. */
const INFLATE_CHUNK = 256 * 1024;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export interface ReadProblems {
  /** Elements that were not valid JSON. */
  malformed: number;
  /** The input ended inside an element (a cut-off upload or chunk). */
  truncated: boolean;
}

/**
 * Splits a stream holding one JSON array into its elements without parsing the whole array:
 * memory stays at the size of the largest element, not of the recording. The byte scanner
 * jumps between quotes with indexOf, so it costs a fraction of JSON.parse itself.
 */
export class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  /** Backslashes at the end of the previous chunk, inside a string. */
  private carriedBackslashes = 0;
  private pieces: Buffer[] = [];
  private started = false;
  private ended = false;
  readonly problems: ReadProblems = { malformed: 0, truncated: false };

  /** Feeds bytes; returns the complete elements they finished, as Buffers of JSON text. */
  push(chunk: Buffer, out: Buffer[]): void {
    const n = chunk.length;
    let i = 0;
    let elementStart = this.pieces.length ? 0 : -1;
    while (i < n) {
      if (this.inString) {
        const quote = chunk.indexOf(QUOTE, i);
        if (quote === -1) {
          let k = n - 1;
          while (k >= i && chunk[k] === BACKSLASH) k--;
          const run = n - 1 - k;
          this.carriedBackslashes = k < i ? this.carriedBackslashes + run : run;
          break;
        }
        let k = quote - 1;
        while (k >= i && chunk[k] === BACKSLASH) k--;
        let run = quote - 1 - k;
        if (k < i) run += this.carriedBackslashes;
        this.carriedBackslashes = 0;
        i = quote + 1;
        if (run % 2 === 0) this.inString = false;
        continue;
      }
      const byte = chunk[i];
      if (this.ended) {
        i++;
        continue;
      }
      if (!this.started) {
        if (byte === OPEN_BRACKET) {
          this.started = true;
          this.depth = 1;
        } else if (!isSpace(byte)) {
          this.problems.malformed++;
          this.ended = true;
        }
        i++;
        continue;
      }
      if (this.depth === 1) {
        if (byte === COMMA || byte === CLOSE_BRACKET) {
          if (elementStart >= 0) this.emit(chunk, elementStart, i, out);
          elementStart = -1;
          if (byte === CLOSE_BRACKET) this.ended = true;
          i++;
          continue;
        }
        if (elementStart < 0 && !isSpace(byte)) elementStart = i;
      }
      switch (byte) {
        case QUOTE:
          this.inString = true;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.depth++;
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          this.depth--;
          break;
        default:
          break;
      }
      i++;
    }
    if (elementStart >= 0 && !this.ended) this.pieces.push(chunk.subarray(elementStart));
  }

  /** True once the array's closing bracket was seen. */
  get closed(): boolean {
    return this.ended;
  }

  /** Takes the bytes of the element not yet complete (from its first byte on), leaving none. */
  takeRest(): Buffer {
    const rest = Buffer.concat(this.pieces);
    this.pieces = [];
    return rest;
  }

  /** Call at the end of input. */
  end(): void {
    if (!this.ended && (this.started || this.pieces.length)) this.problems.truncated = true;
    this.pieces = [];
  }

  private emit(chunk: Buffer, start: number, end: number, out: Buffer[]): void {
    let element: Buffer;
    if (this.pieces.length) {
      this.pieces.push(chunk.subarray(0, end));
      element = Buffer.concat(this.pieces);
      this.pieces = [];
    } else {
      element = chunk.subarray(start, end);
    }
    out.push(element);
  }
}

/** `},{"type":` — between two top-level rrweb events in compact JSON. */
const EVENT_SEAM = Buffer.from('},{"type":');
/**
 * A batch's text stays under V8's large-object size (128 KB), so it is a young string, dead by
 * the next scavenge, as are most of its events: batches of a megabyte went to the old generation
 * and made it collect every few of them.
 */
const BATCH_BYTES = 100 * 1024;
/** Without a seam in this many bytes, the input is not compact rrweb JSON: split it exactly. */
const NO_SEAM_MAX_BYTES = 64 << 20;
/** Smaller pieces (a socket's, a test's) are gathered into one before they join the rope. */
const ROPE_PIECE_MIN = 64 * 1024;
/**
 * Recordings up to this size (inflated) may be parsed whole when they are already in memory.
 * Larger ones stream even so: inflating while the batches before are analysed, and events that
 * die young, beat one parse whose events all live until the end (a 13 MB recording in 0.8 of the
 * CPU time, and 30% less memory).
 */
const WHOLE_PARSE_MAX_BYTES = 1 << 20;
/** `"timestamp":`, the last key of an rrweb event as rrweb writes it. */
const TIMESTAMP_KEY = Buffer.from('"timestamp":');

/**
 * Bytes as they arrived, in pieces, read as one sequence without copying them together: an
 * event of many megabytes waits here as the inflated pieces it came in, and is copied once,
 * when it is parsed. What follows a parsed batch stays a view of its own piece, so a parsed
 * batch's bytes are never kept alive by the rest.
 */
export class ByteRope {
  private pieces: Buffer[] = [];
  /** Where each piece starts in the sequence. */
  private starts: number[] = [];
  length = 0;

  push(piece: Buffer): void {
    if (!piece.length) return;
    this.pieces.push(piece);
    this.starts.push(this.length);
    this.length += piece.length;
  }

  /** The byte at `pos`, or -1 outside the sequence. */
  byteAt(pos: number): number {
    if (pos < 0 || pos >= this.length) return -1;
    const i = this.pieceAt(pos);
    return this.pieces[i][pos - this.starts[i]];
  }

  /**
   * The last position `p` with from ≤ p ≤ last where `needle` starts, or -1. Each piece is
   * searched with Buffer.lastIndexOf; only the few positions where the needle would straddle two
   * pieces are compared byte by byte.
   */
  lastIndexOf(needle: Buffer, last: number, from: number): number {
    last = Math.min(last, this.length - needle.length);
    if (last < from || last < 0) return -1;
    for (let i = this.pieceAt(last); i >= 0; i--) {
      const start = this.starts[i];
      const piece = this.pieces[i];
      // Positions in this piece's tail, where the needle runs on into the next piece.
      const straddleFrom = Math.max(start + piece.length - needle.length + 1, start, from);
      for (let p = Math.min(last, start + piece.length - 1); p >= straddleFrom; p--) {
        if (this.matches(needle, p)) return p;
      }
      const within = Math.min(last, start + piece.length - needle.length) - start;
      if (within >= 0) {
        const found = piece.lastIndexOf(needle, within);
        if (found >= 0 && start + found >= from) return start + found;
      }
      if (start <= from) return -1;
    }
    return -1;
  }

  /** Copies bytes [start, end) into `target` at `at`. */
  copy(target: Buffer, at: number, start: number, end: number): void {
    if (end <= start) return;
    for (let i = this.pieceAt(start); i < this.pieces.length && this.starts[i] < end; i++) {
      const pieceStart = this.starts[i];
      const piece = this.pieces[i];
      const from = Math.max(start - pieceStart, 0);
      const to = Math.min(end - pieceStart, piece.length);
      at += piece.copy(target, at, from, to);
    }
  }

  /** All the bytes in one Buffer (a copy unless there is a single piece). */
  toBuffer(): Buffer {
    return this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.length);
  }

  /** Adds the pieces of `other` after these. */
  append(other: ByteRope): void {
    for (const piece of other.pieces) this.push(piece);
  }

  /** A rope of the bytes from `start` on: views of the same pieces, nothing copied. */
  from(start: number): ByteRope {
    const rest = new ByteRope();
    if (start >= this.length) return rest;
    for (let i = this.pieceAt(start); i < this.pieces.length; i++) {
      const skip = Math.max(start - this.starts[i], 0);
      rest.push(skip ? this.pieces[i].subarray(skip) : this.pieces[i]);
    }
    return rest;
  }

  private matches(needle: Buffer, pos: number): boolean {
    for (let k = 0; k < needle.length; k++) if (this.byteAt(pos + k) !== needle[k]) return false;
    return true;
  }

  /** The index of the piece holding byte `pos` (0 ≤ pos < length). */
  private pieceAt(pos: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= pos) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

/**
 * The last seam in `bytes` from `from` to `last` that closes a top-level event. rrweb writes
 * events as `{"type":…,"data":…,"timestamp":<ms>}`, while serialized DOM nodes
 * (`{"type":2,…,"id":7}`) put the same seam text all over full snapshots and mutations; a seam
 * right after a timestamp is an event's. With `anySeam`, falls back to the last seam of any kind
 * (the parse still checks the cut) for JSON whose events do not end with their timestamp. -1
 * when there is none.
 */
function lastEventSeam(
  bytes: ByteRope,
  from: number,
  anySeam: boolean,
  last = bytes.length,
): number {
  const any = bytes.lastIndexOf(EVENT_SEAM, last, from);
  for (
    let seam = any;
    seam >= from && seam > 0;
    seam = bytes.lastIndexOf(EVENT_SEAM, seam - 1, from)
  ) {
    if (followsTimestamp(bytes, seam)) return seam;
  }
  return anySeam && any >= from ? any : -1;
}

/** Whether the seam at `seam` comes right after `"timestamp":<digits>`, an event's last key. */
function followsTimestamp(bytes: ByteRope, seam: number): boolean {
  let k = seam - 1;
  for (let byte = bytes.byteAt(k); byte >= 0x30 && byte <= 0x39; byte = bytes.byteAt(k)) k--;
  const key = k + 1 - TIMESTAMP_KEY.length;
  if (k === seam - 1 || key < 0) return false;
  for (let i = 0; i < TIMESTAMP_KEY.length; i++)
    if (bytes.byteAt(key + i) !== TIMESTAMP_KEY[i]) return false;
  return true;
}

/** `[` + the first `cut` bytes + `]` as a string: one copy of the bytes, dropped once decoded. */
function batchText(bytes: ByteRope, cut: number): string {
  const text = Buffer.allocUnsafe(cut + 2);
  text[0] = OPEN_BRACKET;
  bytes.copy(text, 1, 0, cut);
  text[cut + 1] = CLOSE_BRACKET;
  return text.toString('utf8');
}

/**
 * Parses a JSON array of events in batches of about 1 MB with one JSON.parse each, cutting at
 * the seam between two events. A cut in the wrong place (the seam text inside a nested object)
 * cannot parse, since its braces do not balance; that batch, like any that fails, is handed to
 * the byte-exact JsonArraySplitter. Compact JSON (what rrweb and JSON.stringify write) takes
 * the fast path; pretty-printed or damaged input takes the exact one.
 *
 * Memory: the bytes wait as the pieces they arrived in (an event of 12 MB is not copied while
 * it grows), and each batch is copied once, into the text JSON.parse reads; so a batch costs
 * its bytes, one string and its events, however large one event is.
 */
export class JsonArrayBatcher {
  private pending = new ByteRope();
  /** Small pieces waiting to join `pending` as one. */
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  /** The next flush is tried at this size: doubled after a cut that did not parse. */
  private threshold = BATCH_BYTES;
  /** The first pending bytes known to hold no seam after an event: not searched again. */
  private searched = 0;
  /** Once a seam after a timestamp was seen, only such seams are cut at. */
  private timestampLast = false;
  private opened = false;
  private exact: JsonArraySplitter | null = null;
  readonly problems: ReadProblems = { malformed: 0, truncated: false };
  /** Bytes copied and searched for seams: linear in the input, however large one event is. */
  readonly work = { bytes: 0 };
  /** The largest number of bytes held at once (pending, and a batch's copy while it parses). */
  readonly held = { peak: 0 };

  push(chunk: Buffer, out: unknown[]): void {
    if (this.exact) return this.pushExact(chunk, out);
    if (!this.opened) {
      let i = 0;
      while (i < chunk.length && isSpace(chunk[i])) i++;
      if (i === chunk.length) return;
      if (chunk[i] !== OPEN_BRACKET) {
        this.problems.malformed++;
        this.exact = new JsonArraySplitter();
        return this.pushExact(chunk, out);
      }
      this.opened = true;
      chunk = chunk.subarray(i + 1);
    }
    if (chunk.length < ROPE_PIECE_MIN) {
      this.gathered.push(chunk);
      this.gatheredBytes += chunk.length;
      if (this.gatheredBytes < ROPE_PIECE_MIN) return;
    }
    this.gather();
    if (chunk.length >= ROPE_PIECE_MIN) this.pending.push(chunk);
    while (!this.exact && this.pending.length >= this.threshold && this.flush(out, false));
  }

  end(out: unknown[]): void {
    if (!this.exact) {
      this.gather();
      this.flush(out, true);
    }
    if (this.exact) {
      this.exact.end();
      this.problems.truncated ||= this.exact.problems.truncated;
      this.problems.malformed += this.exact.problems.malformed;
    }
  }

  /** Joins the gathered small pieces into one piece of the rope. */
  private gather(): void {
    if (!this.gathered.length) return;
    const piece =
      this.gathered.length === 1
        ? this.gathered[0]
        : Buffer.concat(this.gathered, this.gatheredBytes);
    if (this.gathered.length > 1) this.work.bytes += piece.length;
    this.gathered = [];
    this.gatheredBytes = 0;
    this.pending.push(piece);
  }

  /** Parses the pending events up to a seam; true when it did and more may follow. */
  private flush(out: unknown[], last: boolean): boolean {
    const bytes = this.pending;
    this.held.peak = Math.max(this.held.peak, bytes.length);
    let cut: number;
    if (last) {
      let end = bytes.length;
      while (end > 0 && isSpace(bytes.byteAt(end - 1))) end--;
      if (end > 0 && bytes.byteAt(end - 1) === CLOSE_BRACKET) cut = end - 1;
      else return this.fallback(out, true);
    } else {
      // A seam may straddle the end of what was searched before.
      const from = Math.max(0, this.searched - EVENT_SEAM.length);
      // The last event's end within a batch's size; else the last one there is, after an event
      // larger than a batch (a full snapshot of a big page, a burst of mutations).
      let seam = from < BATCH_BYTES ? lastEventSeam(bytes, from, false, BATCH_BYTES - 1) : -1;
      const within = seam >= 0;
      if (within) this.work.bytes += BATCH_BYTES - seam;
      else {
        this.work.bytes += bytes.length - from;
        seam = lastEventSeam(bytes, from, !this.timestampLast);
      }
      if (seam < 0) {
        // No seam yet: wait for more, searching only what arrives.
        if (bytes.length < NO_SEAM_MAX_BYTES) {
          this.searched = bytes.length;
          return false;
        }
        return this.fallback(out);
      }
      cut = seam + 1;
      // What follows a cut at the last seam there was holds none; after an earlier one, it may.
      this.searched = within ? 0 : bytes.length - cut - 1;
    }
    this.work.bytes += cut;
    this.held.peak = Math.max(this.held.peak, bytes.length + cut + 2);
    const json = batchText(bytes, cut);
    const endsEvent = followsTimestamp(bytes, cut - 1);
    // From here on the string is all that is held of the batch: neither the copy it was decoded
    // from nor the pieces before the cut stay alive while JSON.parse builds its events.
    const tail = bytes.from(cut);
    this.pending = tail;
    let events: unknown;
    try {
      events = JSON.parse(json);
    } catch {
      // UTF-8 again: the same bytes, or the same text where they were not valid UTF-8.
      this.pending = new ByteRope();
      this.pending.push(Buffer.from(json.slice(1, -1), 'utf8'));
      this.pending.append(tail);
      return this.fallback(out, last);
    }
    for (const event of events as unknown[]) out.push(event);
    if (!last) {
      this.timestampLast ||= endsEvent;
      this.pending = tail.from(1);
      this.threshold = BATCH_BYTES;
    }
    return !last;
  }

  /**
   * Splits the pending bytes byte by byte (they start right after a top-level '[' or ','), then
   * goes back to the fast path after the last complete element (true). Stays exact when they
   * were all one unfinished element, or at the end of input.
   */
  private fallback(out: unknown[], last = false): boolean {
    const buffer = this.pending.toBuffer();
    const splitter = new JsonArraySplitter();
    splitter.push(Buffer.from('['), []);
    const elements: Buffer[] = [];
    this.work.bytes += buffer.length;
    splitter.push(buffer, elements);
    if (!last && !elements.length && !splitter.closed && buffer.length < NO_SEAM_MAX_BYTES) {
      // All one unfinished element (a seam inside it looked like an event's end): wait for its
      // end on the fast path, trying again once it has doubled, rather than reading the rest of
      // the recording byte by byte.
      this.pending = new ByteRope();
      this.pending.push(buffer);
      this.searched = buffer.length;
      this.threshold = Math.max(BATCH_BYTES, buffer.length * 2);
      return false;
    }
    for (const element of elements) {
      try {
        out.push(JSON.parse(element.toString('utf8')));
      } catch {
        this.problems.malformed++;
      }
    }
    if (last || !elements.length || splitter.closed) {
      this.exact = splitter;
      this.pending = new ByteRope();
      return false;
    }
    this.pending = new ByteRope();
    this.pending.push(splitter.takeRest());
    this.searched = 0;
    this.threshold = BATCH_BYTES;
    return true;
  }

  private pushExact(chunk: Buffer, out: unknown[]): void {
    const elements: Buffer[] = [];
    this.exact!.push(chunk, elements);
    for (const element of elements) {
      try {
        out.push(JSON.parse(element.toString('utf8')));
      } catch {
        this.problems.malformed++;
      }
    }
  }
}

/**
 * Yields rrweb events from a recording stream: a JSON array, or JSON lines (one event per line,
 * or PostHog-style `{ "data": [events] }` lines), plain or gzip. Never throws on bad content;
 * problems are counted in `problems`.
 */
export class RecordingTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The recording inflates to more than ${limitBytes} bytes`);
    this.name = 'RecordingTooLargeError';
  }
}

export class RecordingReader {
  readonly problems: ReadProblems = { malformed: 0, truncated: false };
  /** Uncompressed bytes read. */
  bytes = 0;

  /** `maxBytes`: stop with RecordingTooLargeError as soon as more inflated bytes arrive. */
  constructor(private readonly maxBytes = Infinity) {}

  private count(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) throw new RecordingTooLargeError(this.maxBytes);
  }

  /**
   * A recording already in memory (as stored chunks are). A small one is inflated and parsed in
   * one go; a larger one, or one that does not parse as a whole, streams through `batches()`,
   * which is faster from a megabyte or so and keeps memory bounded.
   */
  async *batchesOfBuffer(data: Buffer): AsyncGenerator<unknown[]> {
    const gzipped = data.length > 18 && data[0] === 0x1f && data[1] === 0x8b;
    // A gzip member ends with its inflated size (mod 2^32); maxOutputLength guards the rest.
    const inflatedSize = gzipped ? data.readUInt32LE(data.length - 4) : data.length;
    if (inflatedSize <= WHOLE_PARSE_MAX_BYTES && inflatedSize <= this.maxBytes) {
      let parsed: unknown;
      let text: Buffer | null = null;
      try {
        text = gzipped ? gunzipSync(data, { maxOutputLength: WHOLE_PARSE_MAX_BYTES }) : data;
        parsed = JSON.parse(text.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      if (text && Array.isArray(parsed)) {
        this.count(text);
        if (parsed.length) yield parsed;
        return;
      }
    }
    yield* this.batches(Readable.from([data]));
  }

  /** One event at a time; `batches()` is faster for large recordings. */
  async *events(source: AsyncIterable<Buffer> | Readable): AsyncGenerator<unknown> {
    for await (const batch of this.batches(source)) yield* batch;
  }

  /** Events in arrays, as they are parsed, so a consumer pays one await per batch. */
  async *batches(source: AsyncIterable<Buffer> | Readable): AsyncGenerator<unknown[]> {
    const raw = source instanceof Readable ? source : Readable.from(source);
    const first = await this.peek(raw);
    if (!first.head) return;
    let stream: AsyncIterable<Buffer> = first.stream;
    if (first.head[0] === 0x1f && first.head[1] === 0x8b) stream = this.inflate(first.stream);
    const text = await this.peekText(stream);
    if (!text.head) return;
    const firstByte = text.head.find((b) => !isSpace(b));
    if (firstByte === OPEN_BRACKET) yield* this.fromArray(text.stream);
    else yield* this.fromLines(text.stream);
  }

  private async *fromArray(stream: AsyncIterable<Buffer>): AsyncGenerator<unknown[]> {
    const batcher = new JsonArrayBatcher();
    let out: unknown[] = [];
    for await (const chunk of stream) {
      this.count(chunk);
      batcher.push(chunk, out);
      if (out.length) {
        yield out;
        out = [];
      }
    }
    batcher.end(out);
    if (out.length) yield out;
    this.problems.malformed += batcher.problems.malformed;
    this.problems.truncated ||= batcher.problems.truncated;
  }

  private async *fromLines(stream: AsyncIterable<Buffer>): AsyncGenerator<unknown[]> {
    let carry: Buffer[] = [];
    const flush = function* (this: RecordingReader, line: Buffer): Generator<unknown> {
      const value = this.parse(line);
      if (value === undefined) return;
      if (Array.isArray(value)) yield* value;
      else if (
        typeof value === 'object' &&
        value !== null &&
        Array.isArray((value as { data?: unknown }).data) &&
        !('type' in value)
      ) {
        yield* (value as { data: unknown[] }).data;
      } else yield value;
    }.bind(this);
    for await (const chunk of stream) {
      this.count(chunk);
      const batch: unknown[] = [];
      let start = 0;
      for (
        let newline = chunk.indexOf(NEWLINE);
        newline !== -1;
        newline = chunk.indexOf(NEWLINE, start)
      ) {
        const line = carry.length
          ? Buffer.concat([...carry, chunk.subarray(start, newline)])
          : chunk.subarray(start, newline);
        carry = [];
        if (line.some((b) => !isSpace(b))) batch.push(...flush(line));
        start = newline + 1;
      }
      if (start < chunk.length) carry.push(chunk.subarray(start));
      if (batch.length) yield batch;
    }
    if (carry.length) {
      const line = Buffer.concat(carry);
      if (line.some((b) => !isSpace(b))) {
        const before = this.problems.malformed;
        const batch = [...flush(line)];
        if (this.problems.malformed > before) {
          this.problems.malformed = before;
          this.problems.truncated = true;
        }
        if (batch.length) yield batch;
      }
    }
  }

  /** A cut-off or corrupt gzip stream ends the input; what was inflated before it still counts. */
  private async *inflate(source: Readable): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source.pipe(createGunzip({ chunkSize: INFLATE_CHUNK })))
        yield chunk as Buffer;
    } catch {
      this.problems.truncated = true;
    }
  }

  private parse(json: Buffer): unknown {
    try {
      return JSON.parse(json.toString('utf8')) as unknown;
    } catch {
      this.problems.malformed++;
      return undefined;
    }
  }

  private async peek(stream: Readable): Promise<{ head: Buffer | null; stream: Readable }> {
    const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await iterator.next();
    if (first.done) return { head: null, stream };
    const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
    const rest = Readable.from(
      (async function* () {
        yield head;
        for (let next = await iterator.next(); !next.done; next = await iterator.next())
          yield next.value;
      })(),
      { objectMode: false },
    );
    return { head, stream: rest };
  }

  private async peekText(
    stream: AsyncIterable<Buffer>,
  ): Promise<{ head: Buffer | null; stream: AsyncIterable<Buffer> }> {
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return { head: null, stream };
    const head = first.value;
    return {
      head,
      stream: (async function* () {
        yield head;
        for (let next = await iterator.next(); !next.done; next = await iterator.next())
          yield next.value;
      })(),
    };
  }
}
