/**
 * Where the rolling recording is kept across reloads and same-tab navigations: appended chunks
 * (one record per chunk, the events' JSON written once), dropped a whole segment at a time.
 * IndexedDB where the browser allows it; sessionStorage (a key per chunk) where it does not.
 */

/** A run of events of one segment, as the JSON texts of the events joined by commas. */
export interface Chunk {
  /** The segment's id (its full snapshot's time, made unique): segments sort by it. */
  seg: number;
  /** Order inside the segment. */
  seq: number;
  /** The last event's timestamp. */
  end: number;
  json: string;
}

export interface RecordingStore {
  /** This tab's chunks, oldest first. */
  load(): Promise<Chunk[]>;
  append(chunks: Chunk[]): void;
  /** Forgets whole segments. */
  drop(segs: number[]): void;
  /** The page is going away (reload, navigation): what `append` just got must survive it. */
  pageHidden(chunks: Chunk[]): void;
}

const DB_NAME = 'repro-recording';
const STORE = 'chunks';
const TAB_KEY = 'repro:tab';

type Row = Chunk & { tab: string };

const byOrder = (a: Chunk, b: Chunk) => a.seg - b.seg || a.seq - b.seq;

/**
 * sessionStorage, a key per chunk (`<prefix>:<seg>:<seq>`): writes are incremental, and one that
 * does not fit (the quota is a few MB) leaves its segment out of storage rather than with a gap.
 */
export class SessionStore implements RecordingStore {
  private readonly broken = new Set<number>();

  constructor(private readonly prefix: string) {}

  load(): Promise<Chunk[]> {
    return Promise.resolve(this.read());
  }

  read(): Chunk[] {
    const chunks: Chunk[] = [];
    try {
      for (let i = 0; i < sessionStorage.length; i++) {
        const key = sessionStorage.key(i);
        const m = key && /^(.*):(\d+):(\d+)$/.exec(key);
        if (!m || m[1] !== this.prefix) continue;
        const value = sessionStorage.getItem(key) ?? '';
        const cut = value.indexOf(':');
        chunks.push({
          seg: Number(m[2]),
          seq: Number(m[3]),
          end: Number(value.slice(0, cut)),
          json: value.slice(cut + 1),
        });
      }
    } catch {
      return [];
    }
    return chunks.sort(byOrder);
  }

  append(chunks: Chunk[]): void {
    for (const chunk of chunks) {
      if (this.broken.has(chunk.seg)) continue;
      try {
        sessionStorage.setItem(
          `${this.prefix}:${chunk.seg}:${chunk.seq}`,
          `${chunk.end}:${chunk.json}`,
        );
      } catch {
        this.broken.add(chunk.seg);
        this.drop([chunk.seg]);
      }
    }
  }

  drop(segs: number[]): void {
    if (!segs.length) return;
    const gone = new Set(segs.map(String));
    removeKeys((key) => {
      const m = /^(.*):(\d+):\d+$/.exec(key);
      return Boolean(m && m[1] === this.prefix && gone.has(m[2]));
    });
  }

  pageHidden(): void {
    /* every append was written at once */
  }
}

/** Removes the sessionStorage keys `matches` picks. */
function removeKeys(matches: (key: string) => boolean): void {
  try {
    const keys: string[] = [];
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key && matches(key)) keys.push(key);
    }
    for (const key of keys) sessionStorage.removeItem(key);
  } catch {
    /* storage unavailable */
  }
}

/**
 * IndexedDB (`repro-recording`, one row per chunk keyed by tab, segment and order). The tab is an
 * id kept in sessionStorage, so another tab's recording is never mixed in; rows older than the
 * window (and a checkout period) are deleted by the next page of the origin that starts the
 * widget, whatever its tab.
 * A page going away also writes its last chunks to sessionStorage (synchronous, so they survive
 * a reload even if the page is torn down before IndexedDB commits); the next load merges them.
 * Operations wait for the database; if it cannot be opened, the sessionStorage store takes over.
 */
export class IdbStore implements RecordingStore {
  private readonly tab: string;
  private readonly tail: SessionStore;
  private readonly tailPrefix: string;
  private fallback: SessionStore | null = null;
  private readonly ready: Promise<IDBDatabase | null>;
  private db: IDBDatabase | null = null;

  constructor(
    prefix: string,
    /** Rows whose last event is older than this are deleted (from any tab). */
    private readonly keepMs: number,
  ) {
    this.tab = tabId();
    this.tail = new SessionStore(`${prefix}:tail:${this.tab}`);
    this.tailPrefix = `${prefix}:tail:`;
    this.ready = openDb().then(
      (db) => (this.db = db),
      () => {
        this.fallback = new SessionStore(prefix);
        return null;
      },
    );
  }

  async load(): Promise<Chunk[]> {
    const db = await this.ready;
    const tail = this.tail.read();
    // Read once: this tab's (merged below) and any other's (sessionStorage cleared, a new tab id).
    removeKeys((key) => key.startsWith(this.tailPrefix));
    if (!db) {
      // Chunks of the last page that went to the tail are this store's own.
      this.fallback?.append(tail);
      return this.fallback?.load() ?? [];
    }
    const cutoff = Date.now() - this.keepMs;
    const rows = await new Promise<Row[]>((resolve, reject) => {
      const tx = db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      // Anything older than the window, from any tab (closed tabs leave theirs behind).
      const old = store.index('end').openCursor(IDBKeyRange.upperBound(cutoff));
      old.onsuccess = () => {
        old.result?.delete();
        old.result?.continue();
      };
      const mine = store.getAll(IDBKeyRange.bound([this.tab], [this.tab, []]));
      let found: Row[] = [];
      mine.onsuccess = () => (found = mine.result as Row[]);
      tx.oncomplete = () => resolve(found);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB read failed'));
    });
    const seen = new Set(rows.map((r) => `${r.seg}:${r.seq}`));
    const missing = tail.filter((c) => !seen.has(`${c.seg}:${c.seq}`));
    if (missing.length) this.append(missing);
    return [...rows.map(({ seg, seq, end, json }) => ({ seg, seq, end, json })), ...missing].sort(
      byOrder,
    );
  }

  append(chunks: Chunk[]): void {
    if (!chunks.length) return;
    this.write((store) => {
      for (const chunk of chunks) store.put({ ...chunk, tab: this.tab });
    });
  }

  drop(segs: number[]): void {
    if (!segs.length) return;
    this.write((store) => {
      for (const seg of segs) store.delete(IDBKeyRange.bound([this.tab, seg], [this.tab, seg, []]));
    });
  }

  pageHidden(chunks: Chunk[]): void {
    if (this.fallback) return;
    this.tail.append(chunks);
  }

  private write(work: (store: IDBObjectStore) => void): void {
    if (this.fallback) return this.fallbackWrite(work);
    if (!this.db) {
      void this.ready.then(() => this.write(work));
      return;
    }
    try {
      const tx = this.db.transaction(STORE, 'readwrite');
      work(tx.objectStore(STORE));
      tx.commit?.();
    } catch {
      /* closed or over quota: this chunk is not kept across reloads */
    }
  }

  /** Replays an IndexedDB write against the sessionStorage store (after open failed). */
  private fallbackWrite(work: (store: IDBObjectStore) => void): void {
    const fallback = this.fallback as SessionStore;
    const store = {
      put: (row: Row) => fallback.append([row]),
      delete: (range: IDBKeyRange) => fallback.drop([(range.lower as number[])[1]]),
    };
    work(store as unknown as IDBObjectStore);
  }
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    try {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => {
        const store = open.result.createObjectStore(STORE, { keyPath: ['tab', 'seg', 'seq'] });
        store.createIndex('end', 'end');
      };
      open.onsuccess = () => {
        // Another version of the widget upgrading the database: step aside.
        open.result.onversionchange = () => open.result.close();
        resolve(open.result);
      };
      open.onerror = () => reject(open.error ?? new Error('IndexedDB unavailable'));
      open.onblocked = () => reject(new Error('blocked'));
    } catch (error) {
      reject(error instanceof Error ? error : new Error('IndexedDB unavailable'));
    }
  });
}

function tabId(): string {
  try {
    let id = sessionStorage.getItem(TAB_KEY);
    if (!id) {
      id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      sessionStorage.setItem(TAB_KEY, id);
    }
    return id;
  } catch {
    // No sessionStorage: this page's own id (nothing survives a reload then anyway).
    return `page-${Math.random().toString(36).slice(2)}`;
  }
}

/**
 * The store for `prefix`: IndexedDB when the browser has it, else sessionStorage. Rows older
 * than `keepMs` (any tab's) are deleted when a page opens it.
 */
export function openRecordingStore(prefix: string, keepMs: number): RecordingStore {
  try {
    if (typeof indexedDB !== 'undefined' && indexedDB) return new IdbStore(prefix, keepMs);
  } catch {
    /* indexedDB itself throws (a sandboxed frame) */
  }
  return new SessionStore(prefix);
}
