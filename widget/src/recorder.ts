/**
 * The rolling recording: rrweb records continuously into segments, each starting with a full
 * snapshot (rrweb's periodic checkout starts a new one, and so does a segment outgrowing half the
 * size cap). Segments older than the window are dropped, the whole is capped in size, and it is
 * kept in IndexedDB (sessionStorage where IndexedDB is unavailable) so a reload or a same-tab
 * navigation keeps what came before. Nothing leaves the browser from here.
 *
 * The hot path (rrweb's emit) only appends the event to an array. About once a second, off that
 * path, the new events are serialised once (one JSON.stringify per batch), appended to their
 * segment as a chunk and written to the store as one record; the whole buffer is never
 * serialised again (a report parses the chunks once).
 */
import { record } from '@rrweb/record';
import { getRecordConsolePlugin } from '@rrweb/rrweb-plugin-console-record';
import { recordNetwork, type NetworkPayload } from './network';
import { type Chunk, openRecordingStore, type RecordingStore } from './recording-store';

export interface RecorderOptions {
  storageKey: string;
  windowMs: number;
  maxBytes: number;
  checkoutEveryMs: number;
  maskAllText: boolean;
  networkBodyAllowList: (string | RegExp)[];
  ignoreUrl: (url: string) => boolean;
  /** Every new chunk, in order, as it is stored (SessionStream). */
  onChunks?: (chunks: Chunk[]) => void;
}

export type RecordedEvent = { type: number; timestamp: number; data?: unknown } & Record<
  string,
  unknown
>;

interface Segment {
  /** Unique and increasing: the store's key for the segment. */
  id: number;
  start: number;
  /** Characters of JSON in `chunks`. */
  size: number;
  /** The size of the full snapshot the segment starts with. */
  snapshotSize: number;
  chunks: string[];
  /** Events not serialised yet. */
  pending: RecordedEvent[];
  /** How many of `chunks` are in the store (the rest go with the next flush). */
  stored: number;
  end: number;
}

/** How often new events are serialised and stored; pagehide and a hidden tab do it at once. */
const FLUSH_EVERY_MS = 1_000;
/** Checkouts for size wait this many times the last full snapshot's duration (5 % at most). */
const CHECKOUT_COST_FACTOR = 20;
// rrweb checks its class and its selector apart, each with closest() on every node: our class
// goes in place of its default one ('rr-mask', 'rr-block') instead of a third check.
const MASK_CLASS = 'repro-mask';
const MASK_SELECTOR = '[data-repro-mask]';
const BLOCK_CLASS = 'repro-block';
const BLOCK_SELECTOR = '[data-repro-block]';

export class Recorder {
  private segments: Segment[] = [];
  private stops: (() => void)[] = [];
  private flushTimer: number | undefined;
  private readonly store: RecordingStore;
  private started = false;
  private early: RecordedEvent[] = [];
  private restored = false;
  /** When our last checkout was and how long its full snapshot took (a big page: 100s of ms). */
  private lastCheckout = { at: 0, tookMs: 0 };

  constructor(private readonly options: RecorderOptions) {
    // A row is of no use once its segment is out of the window; a segment's first rows are older
    // than its last by up to a checkout period.
    this.store = openRecordingStore(options.storageKey, options.windowMs + options.checkoutEveryMs);
  }

  start(): void {
    void this.restore();
    const stopRecording = record({
      emit: (event, isCheckout) => this.push(event as RecordedEvent, Boolean(isCheckout)),
      checkoutEveryNms: this.options.checkoutEveryMs,
      maskAllInputs: true,
      maskTextClass: MASK_CLASS,
      maskTextSelector: this.options.maskAllText ? '*' : MASK_SELECTOR,
      maskInputOptions: { password: true, email: true, tel: true, text: true, textarea: true },
      blockClass: BLOCK_CLASS,
      blockSelector: BLOCK_SELECTOR,
      slimDOMOptions: 'all',
      inlineStylesheet: true,
      recordCanvas: false,
      collectFonts: false,
      // What the analyzer reads survives: where a scroll ended, an input's last value, every
      // click; rrweb's default reads the scroll position (a forced layout) ten times a second.
      sampling: { scroll: 250, input: 'last', media: 800 },
      plugins: [
        getRecordConsolePlugin({
          level: ['error', 'warn', 'assert'],
          lengthThreshold: 100,
          stringifyOptions: { stringLengthLimit: 1000, numOfKeysLimit: 50, depthOfLimit: 3 },
        }),
      ],
    });
    if (stopRecording) this.stops.push(stopRecording);
    // rrweb checks out only when an event comes after the period: on a quiet page one snapshot
    // would stay the buffer's start for ever. A timer takes the full snapshot anyway.
    const checkout = window.setInterval(
      () => {
        const last = this.segments[this.segments.length - 1];
        if (this.started && last && Date.now() - last.start >= this.options.checkoutEveryMs) {
          this.checkout();
        }
      },
      Math.max(250, Math.round(this.options.checkoutEveryMs / 4)),
    );
    this.stops.push(() => window.clearInterval(checkout));
    this.stops.push(
      recordNetwork({
        networkBodyAllowList: this.options.networkBodyAllowList,
        ignore: this.options.ignoreUrl,
        emit: (payload: NetworkPayload) => this.custom('repro/network', payload),
      }),
    );
    this.stops.push(this.recordNavigation());
    const hide = () => this.flush(true);
    // A hidden tab may be closed or discarded: store now (the page lives on, IndexedDB commits).
    const onHidden = () => {
      if (document.visibilityState === 'hidden') this.flush(false);
    };
    window.addEventListener('pagehide', hide);
    document.addEventListener('visibilitychange', onHidden);
    this.stops.push(() => {
      window.removeEventListener('pagehide', hide);
      document.removeEventListener('visibilitychange', onHidden);
    });
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.flush(false);
  }

  /** The events of the last window, oldest first, starting with a full snapshot. */
  events(): RecordedEvent[] {
    this.flush(false);
    const chunks = this.segments.flatMap((segment) => segment.chunks);
    try {
      return chunks.length ? (JSON.parse(`[${chunks.join(',')}]`) as RecordedEvent[]) : [];
    } catch {
      return [];
    }
  }

  /** Forgets everything recorded (after a report carried it away, the next starts fresh). */
  clear(): void {
    const current = this.segments[this.segments.length - 1];
    this.drop(this.segments.slice(0, -1));
    this.segments = current ? [current] : [];
  }

  private recordNavigation(): () => void {
    const emit = (trigger: string) =>
      this.custom('repro/navigation', { href: location.href, trigger });
    const entry = performance.getEntriesByType?.('navigation')[0] as
      PerformanceNavigationTiming | undefined;
    emit(entry?.type === 'reload' ? 'reload' : 'load');
    const originalPush = history.pushState;
    const originalReplace = history.replaceState;
    history.pushState = function reproPushState(this: History, ...args) {
      originalPush.apply(this, args);
      emit('pushState');
    };
    history.replaceState = function reproReplaceState(this: History, ...args) {
      const before = location.href;
      originalReplace.apply(this, args);
      if (location.href !== before) emit('replaceState');
    };
    const onPop = () => emit('popstate');
    const onHash = () => emit('hashchange');
    window.addEventListener('popstate', onPop);
    window.addEventListener('hashchange', onHash);
    return () => {
      history.pushState = originalPush;
      history.replaceState = originalReplace;
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('hashchange', onHash);
    };
  }

  /**
   * A custom event (type 5). rrweb refuses them until its first full snapshot, which waits for
   * the DOM: those from before (the page's load, its first requests) are kept and added after it.
   */
  private custom(tag: string, payload: unknown): void {
    if (this.started) {
      try {
        record.addCustomEvent(tag, payload);
      } catch {
        /* recording stopped */
      }
      return;
    }
    if (this.early.length < 200) {
      this.early.push({ type: 5, data: { tag, payload }, timestamp: Date.now() });
    }
  }

  /** A full snapshot now (a new segment), unless recording has not begun. */
  requestCheckout(): void {
    if (this.started) this.checkout();
  }

  private checkout(): void {
    const began = performance.now();
    try {
      record.takeFullSnapshot(true);
    } catch {
      /* not recording */
    }
    this.lastCheckout = { at: Date.now(), tookMs: performance.now() - began };
  }

  /** rrweb's emit: only appends (serialising and storing wait for the next flush). */
  private push(event: RecordedEvent, isCheckout: boolean): void {
    // Before the first snapshot (rrweb's DOMContentLoaded and load): kept for after it.
    if (!this.started && event.type !== 4 && event.type !== 2) {
      if (this.early.length < 200) this.early.push(event);
      return;
    }
    // A Meta event opens each full snapshot (first load and every checkout): a new segment.
    let segment = this.segments[this.segments.length - 1] as Segment | undefined;
    if (!segment || (event.type === 4 && (isCheckout || !this.started))) {
      if (segment) this.serialise(segment);
      const id = Math.max(event.timestamp, (segment?.id ?? 0) + 1);
      segment = {
        id,
        start: event.timestamp,
        size: 0,
        snapshotSize: 0,
        chunks: [],
        pending: [],
        stored: 0,
        end: event.timestamp,
      };
      this.segments.push(segment);
    }
    segment.pending.push(event);
    segment.end = event.timestamp;
    if (event.type === 2) {
      if (!this.started) {
        this.started = true;
        for (const early of this.early.splice(0)) {
          early.timestamp = Math.max(early.timestamp, event.timestamp);
          segment.pending.push(early);
        }
      }
      // The full snapshot is a chunk of its own: its size decides when the next checkout comes.
      this.serialise(segment);
      segment.snapshotSize = segment.size;
    }
    this.scheduleFlush();
  }

  /** Turns a segment's pending events into one chunk (one JSON.stringify for the batch). */
  private serialise(segment: Segment): void {
    if (!segment.pending.length) return;
    let json: string;
    try {
      json = JSON.stringify(segment.pending).slice(1, -1);
    } catch {
      json = segment.pending.flatMap((e) => safeJson(e) ?? []).join(',');
    }
    segment.pending = [];
    if (!json) return;
    segment.chunks.push(json);
    segment.size += json.length + 1;
  }

  /** The chunks not in the store yet, now counted as stored. */
  private unstored(): Chunk[] {
    const chunks: Chunk[] = [];
    for (const segment of this.segments) {
      for (let seq = segment.stored; seq < segment.chunks.length; seq++) {
        chunks.push({ seg: segment.id, seq, end: segment.end, json: segment.chunks[seq] });
      }
      segment.stored = segment.chunks.length;
    }
    return chunks;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined) return;
    const flush = () => {
      this.flushTimer = undefined;
      this.flush(false);
      const current = this.segments[this.segments.length - 1];
      if (this.started && current && this.outgrown(current)) this.checkout();
    };
    // Then in the next idle moment (between frames), or a second later at the latest.
    this.flushTimer = window.setTimeout(() => {
      if (typeof requestIdleCallback === 'function') {
        requestIdleCallback(flush, { timeout: FLUSH_EVERY_MS });
      } else flush();
    }, FLUSH_EVERY_MS);
  }

  /** Serialises what came since the last flush, keeps the window and the cap, and stores it. */
  private flush(pageHidden: boolean): void {
    window.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const segment of this.segments) this.serialise(segment);
    this.trim();
    // Until the restore has placed the previous pages' segments, it writes this page's itself.
    if (!this.restored) return;
    const chunks = this.unstored();
    this.store.append(chunks);
    if (pageHidden) this.store.pageHidden(chunks);
    if (chunks.length) this.options.onChunks?.(chunks);
  }

  /**
   * Whether a segment should make way for a new one (a checkout) before the periodic one, so the
   * cap keeps a recent start: at half the cap the previous segment and this one fit together; a
   * page whose full snapshot is big waits until twice the snapshot (never past the cap), and
   * until the increments are at least half a snapshot, so snapshots never crowd out the rest.
   * A full snapshot of a big page takes the main thread for 100s of ms: checkouts for size come
   * no closer than 20 times the last one took (at most 5 % of the time), so on a page that
   * changes faster than the cap allows, the current segment may pass the cap until then.
   */
  private outgrown(segment: Segment): boolean {
    const cap = this.options.maxBytes;
    const at = Math.min(cap, Math.max(cap / 2, 2 * segment.snapshotSize));
    const rested =
      Date.now() - this.lastCheckout.at >= CHECKOUT_COST_FACTOR * this.lastCheckout.tookMs;
    return (
      rested && segment.size > at && segment.size - segment.snapshotSize > segment.snapshotSize / 2
    );
  }

  private total(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** Drops segments wholly before the window, then the oldest while over the size cap. */
  private trim(): void {
    const cutoff = Date.now() - this.options.windowMs;
    let keep = 0;
    while (keep < this.segments.length - 1 && this.segments[keep + 1].start <= cutoff) keep++;
    let total = this.total();
    for (let i = 0; i < keep; i++) total -= this.segments[i].size;
    while (keep < this.segments.length - 1 && total > this.options.maxBytes) {
      total -= this.segments[keep].size;
      keep++;
    }
    if (keep) this.drop(this.segments.splice(0, keep));
  }

  private drop(segments: Segment[]): void {
    if (segments.length) this.store.drop(segments.map((s) => s.id));
  }

  /** The previous pages' segments (this tab), placed before this page's own. */
  private async restore(): Promise<void> {
    const chunks = await this.store.load().catch((): Chunk[] => []);
    const previous: Segment[] = [];
    for (const chunk of chunks) {
      let segment = previous[previous.length - 1] as Segment | undefined;
      if (!segment || segment.id !== chunk.seg) {
        // A segment whose start (its full snapshot) is missing is no use.
        if (chunk.seq !== 0) continue;
        segment = {
          id: chunk.seg,
          start: chunk.seg,
          size: 0,
          snapshotSize: 0,
          chunks: [],
          pending: [],
          stored: 0,
          end: chunk.end,
        };
        previous.push(segment);
      }
      // A gap (a write that failed) ends the segment: what follows it would not replay.
      if (chunk.seq !== segment.chunks.length) continue;
      segment.chunks.push(chunk.json);
      segment.size += chunk.json.length + 1;
      segment.end = Math.max(segment.end, chunk.end);
    }
    for (const segment of previous) segment.stored = segment.chunks.length;
    // The previous page's last segment may be older than the window; this page starts anew.
    const cutoff = Date.now() - this.options.windowMs;
    const kept = previous.filter(
      (s) => s.end > cutoff && s.id < (this.segments[0]?.id ?? Infinity),
    );
    this.drop(previous.filter((s) => !kept.includes(s)));
    this.segments = [...kept, ...this.segments];
    this.restored = true;
    this.trim();
    // What this page recorded while the restore ran: stored now, in order.
    const recorded = this.unstored();
    this.store.append(recorded);
    if (recorded.length) this.options.onChunks?.(recorded);
  }
}

function safeJson(event: RecordedEvent): string | null {
  try {
    return JSON.stringify(event);
  } catch {
    return null;
  }
}
