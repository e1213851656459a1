/**
 * Streaming the recording of an identified customer to Repro (option `streamRecording`, off by
 * default): so that a mail the customer sends support later (forwarded to Repro) finds the
 * session they were in when things went wrong, even though they never opened the widget.
 *
 * The session is named once (PUT /v1/widget/:key/recordings/:id with the identify()d email or
 * id), then the recorder's chunks go up in batches (POST …/chunks?seq=N) every `everyMs`. A
 * session starts at a segment's first chunk (a full snapshot), so it always replays; it goes on
 * across the tab's page loads (sessionStorage) and a new one starts at the first segment after
 * `sessionMs`. Any refusal or network failure ends the session (a gap would not replay) and the
 * next full snapshot starts a new one; a 409 (a report took the session) does the same.
 */
import type { Chunk } from './recording-store';

export interface StreamOptions {
  /** `/v1/widget/:key` + path. */
  url: (path: string) => string;
  storageKey: string;
  everyMs: number;
  sessionMs: number;
  /** Asks the recorder for a full snapshot soon (a new session's start). */
  requestCheckout: () => void;
}

export interface StreamIdentity {
  email?: string;
  id?: string;
}

interface Active {
  id: string;
  /** The next chunk's number. */
  seq: number;
  startedAt: number;
  /** The identity the session was named with (JSON); null until the PUT was sent. */
  named: string | null;
}

/** A keepalive request (sent as the page goes away) may carry at most 64 KiB. */
const KEEPALIVE_MAX_CHARS = 60_000;

export class SessionStream {
  private active: Active | null;
  private pending: string[] = [];
  /** Whether this page's events are in the active session (it took one of its full snapshots). */
  private onPage = false;
  private who: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly options: StreamOptions,
    private readonly newId: () => string,
  ) {
    this.active = this.load();
  }

  start(): void {
    const timer = window.setInterval(() => this.send(false), this.options.everyMs);
    const hide = () => this.send(true);
    window.addEventListener('pagehide', hide);
    this.stops.push(() => {
      window.clearInterval(timer);
      window.removeEventListener('pagehide', hide);
    });
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Who is recorded; without an email or id nothing is streamed. */
  identify(who: StreamIdentity): void {
    const email = who.email?.trim();
    const id = who.id?.trim();
    const key =
      email || id ? JSON.stringify({ email: email || undefined, id: id || undefined }) : null;
    if (key === this.who) return;
    this.who = key;
    // A session named for someone else is not continued.
    if (this.active && this.active.named !== null && this.active.named !== key) this.end();
    if (key && !this.onPage) this.options.requestCheckout();
  }

  /** The recorder's new chunks, in order (Recorder's `onChunks`). */
  chunks(chunks: Chunk[]): void {
    if (!this.who) return;
    for (const chunk of chunks) {
      const segmentStart = chunk.seq === 0;
      const expired = this.active && Date.now() - this.active.startedAt >= this.options.sessionMs;
      if (segmentStart && expired) {
        this.send(false);
        this.active = null;
      }
      if (segmentStart && !this.active) {
        this.active = { id: this.newId(), seq: 0, startedAt: Date.now(), named: null };
        this.save();
      }
      if (!this.active) continue;
      // This page's events replay only after its own full snapshot (a segment's first chunk).
      if (segmentStart) this.onPage = true;
      if (!this.onPage) continue;
      this.pending.push(chunk.json);
    }
  }

  /** Sends what is pending as the session's next chunk (after naming the session, once). */
  private send(pageHidden: boolean): void {
    const session = this.active;
    const who = this.who;
    if (!session || !who || !this.pending.length) return;
    const body = `[${this.pending.join(',')}]`;
    const seq = session.seq++;
    this.pending = [];
    this.save();
    const base = `/recordings/${encodeURIComponent(session.id)}`;
    if (pageHidden) {
      // The page is going: no time for the chain; a named session's chunk goes as a keepalive.
      if (session.named === who && body.length <= KEEPALIVE_MAX_CHARS) {
        void this.request(`${base}/chunks?seq=${seq}`, 'POST', body, true).catch(() => undefined);
      }
      return;
    }
    this.chain = this.chain.then(async () => {
      if (this.active !== session) return;
      try {
        if (session.named !== who) {
          await this.request(base, 'PUT', `{"reporter":${who}}`, false);
          session.named = who;
          this.save();
        }
        await this.request(`${base}/chunks?seq=${seq}`, 'POST', body, false);
      } catch {
        if (this.active === session) this.end();
      }
    });
  }

  private async request(path: string, method: string, body: string, keepalive: boolean) {
    const response = await fetch(this.options.url(path), {
      method,
      headers: { 'Content-Type': 'application/json' },
      body,
      keepalive,
      credentials: 'omit',
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  }

  /** Ends the session: what follows starts a new one at the next full snapshot. */
  private end(): void {
    this.active = null;
    this.pending = [];
    this.onPage = false;
    this.save();
    if (this.who) this.options.requestCheckout();
  }

  private load(): Active | null {
    try {
      const saved = JSON.parse(
        sessionStorage.getItem(this.options.storageKey) ?? 'null',
      ) as Active | null;
      return saved && typeof saved.id === 'string' && Number.isInteger(saved.seq) ? saved : null;
    } catch {
      return null;
    }
  }

  private save(): void {
    try {
      if (this.active) sessionStorage.setItem(this.options.storageKey, JSON.stringify(this.active));
      else sessionStorage.removeItem(this.options.storageKey);
    } catch {
      /* storage unavailable: the session lasts this page */
    }
  }
}
