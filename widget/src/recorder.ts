/**
 * The rolling recording: rrweb records continuously into segments, each starting with a full
 * snapshot (rrweb's periodic checkout starts a new one). Segments older than the window are
 * dropped, the whole is capped in size, and it is kept in sessionStorage so a reload or a
 * same-tab navigation keeps what came before. Nothing leaves the browser from here.
 */
import { record } from '@rrweb/record';
import { getRecordConsolePlugin } from '@rrweb/rrweb-plugin-console-record';
import { recordNetwork, type NetworkPayload } from './network';

export interface RecorderOptions {
  storageKey: string;
  windowMs: number;
  maxBytes: number;
  checkoutEveryMs: number;
  maskAllText: boolean;
  networkBodyAllowList: (string | RegExp)[];
  ignoreUrl: (url: string) => boolean;
}

export type RecordedEvent = { type: number; timestamp: number; data?: unknown } & Record<
  string,
  unknown
>;

interface Segment {
  start: number;
  size: number;
  events: RecordedEvent[];
}

/**
 * How often the buffer is written to sessionStorage while events come; pagehide (reload,
 * navigation) and a hidden tab write it at once, so this only bounds what a crash loses.
 */
const SAVE_EVERY_MS = 5_000;
const MASK_SELECTOR = '[data-repro-mask], .repro-mask';
const BLOCK_SELECTOR = '[data-repro-block], .repro-block';

export class Recorder {
  private segments: Segment[] = [];
  private stops: (() => void)[] = [];
  private saveTimer: number | undefined;

  constructor(private readonly options: RecorderOptions) {}

  start(): void {
    this.restore();
    const stopRecording = record({
      emit: (event, isCheckout) => this.push(event as RecordedEvent, Boolean(isCheckout)),
      checkoutEveryNms: this.options.checkoutEveryMs,
      maskAllInputs: true,
      maskTextSelector: this.options.maskAllText ? '*' : MASK_SELECTOR,
      maskInputOptions: { password: true, email: true, tel: true, text: true, textarea: true },
      blockSelector: BLOCK_SELECTOR,
      slimDOMOptions: 'all',
      inlineStylesheet: true,
      recordCanvas: false,
      collectFonts: false,
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
          try {
            record.takeFullSnapshot(true);
          } catch {
            /* not recording */
          }
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
    const save = () => this.save();
    const onHidden = () => {
      if (document.visibilityState === 'hidden') this.save();
    };
    window.addEventListener('pagehide', save);
    document.addEventListener('visibilitychange', onHidden);
    this.stops.push(() => {
      window.removeEventListener('pagehide', save);
      document.removeEventListener('visibilitychange', onHidden);
    });
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.save();
  }

  /** The events of the last window, oldest first, starting with a full snapshot. */
  events(): RecordedEvent[] {
    this.trim();
    return this.segments.flatMap((segment) => segment.events);
  }

  /** Forgets everything recorded (after a report carried it away, the next starts fresh). */
  clear(): void {
    const current = this.segments[this.segments.length - 1];
    this.segments = [];
    if (current) this.segments.push(current);
    this.save();
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

  private started = false;
  private early: RecordedEvent[] = [];

  private push(event: RecordedEvent, isCheckout: boolean): void {
    // A Meta event opens each full snapshot (first load and every checkout): a new segment.
    const opensSegment = event.type === 4 && (isCheckout || !this.current);
    if (opensSegment || !this.current) {
      this.segments.push({ start: event.timestamp, size: 0, events: [] });
      this.current = true;
      this.trim();
    }
    const segment = this.segments[this.segments.length - 1];
    segment.events.push(event);
    segment.size += approximateSize(event);
    if (event.type === 2 && !this.started) {
      this.started = true;
      for (const early of this.early.splice(0)) {
        early.timestamp = Math.max(early.timestamp, event.timestamp);
        segment.events.push(early);
        segment.size += approximateSize(early);
      }
    }
    if (this.total() > this.options.maxBytes) this.trim();
    this.scheduleSave();
  }

  private current = false;

  private total(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** Drops segments wholly before the window, then the oldest while over the size cap. */
  private trim(): void {
    const cutoff = Date.now() - this.options.windowMs;
    while (this.segments.length > 1 && this.segments[1].start <= cutoff) this.segments.shift();
    while (this.segments.length > 1 && this.total() > this.options.maxBytes) this.segments.shift();
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = window.setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_EVERY_MS);
  }

  private save(): void {
    this.trim();
    try {
      sessionStorage.setItem(this.options.storageKey, JSON.stringify(this.segments));
    } catch {
      // Storage full or unavailable: keep what fits, newest first.
      try {
        sessionStorage.setItem(this.options.storageKey, JSON.stringify(this.segments.slice(-1)));
      } catch {
        /* nothing kept across reloads */
      }
    }
  }

  private restore(): void {
    try {
      const saved = sessionStorage.getItem(this.options.storageKey);
      if (!saved) return;
      const segments = JSON.parse(saved) as Segment[];
      if (Array.isArray(segments)) this.segments = segments.filter((s) => Array.isArray(s?.events));
      this.trim();
      // The previous page's last segment may be older than the window; this page starts anew.
      const cutoff = Date.now() - this.options.windowMs;
      this.segments = this.segments.filter(
        (s) => (s.events[s.events.length - 1]?.timestamp ?? 0) > cutoff,
      );
    } catch {
      this.segments = [];
    }
  }
}

function approximateSize(event: RecordedEvent): number {
  try {
    return JSON.stringify(event).length;
  } catch {
    return 1000;
  }
}
