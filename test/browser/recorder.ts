/**
 * What Repro's widget will do in a customer's page, for the browser tests: record with rrweb
 * (every input masked, console plugin on), report each request and each URL change as a custom
 * event, and keep the events in sessionStorage so a reload keeps the page before it.
 * Runs in Chromium, not in Node: the test server compiles it on the fly and serves it as
 * /recorder.js, after the rrweb and console-plugin UMD builds that define its two globals.
 */
import type {
  NavigationEventPayload,
  NetworkEventPayload,
} from '../../src/modules/recordings/analyzer/types';

// The project compiles without the DOM lib; these are the few browser APIs this script touches.
interface RecordedEvent {
  type: number;
  data: unknown;
  timestamp: number;
}

interface Rrweb {
  record: {
    (options: {
      emit: (event: RecordedEvent) => void;
      maskAllInputs: boolean;
      plugins: unknown[];
    }): unknown;
    addCustomEvent(tag: string, payload: unknown): void;
  };
}

type FetchInput = string | { href: string } | { url: string; method: string };
type Fetch = (input: FetchInput, init?: { method?: string }) => Promise<{ status: number }>;

interface Xhr {
  readonly readyState: number;
  readonly status: number;
  open(method: string, url: string | { href: string }, ...rest: unknown[]): void;
  send(...args: unknown[]): void;
  addEventListener(type: string, listener: () => void): void;
}

interface BrowserWindow {
  __reproEvents: RecordedEvent[];
  rrweb: Rrweb;
  rrwebPluginConsoleRecord: { getRecordConsolePlugin(): unknown };
  fetch: Fetch;
  XMLHttpRequest: { prototype: Xhr };
  history: { pushState(...args: unknown[]): void; replaceState(...args: unknown[]): void };
  location: { href: string };
  sessionStorage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
  };
  performance: { now(): number; getEntriesByType(type: string): { type?: string }[] };
  addEventListener(type: string, listener: () => void): void;
}

const win = globalThis as unknown as BrowserWindow;
const STORAGE_KEY = 'repro:events';

function storedEvents(): RecordedEvent[] {
  try {
    return JSON.parse(win.sessionStorage.getItem(STORAGE_KEY) ?? '[]') as RecordedEvent[];
  } catch {
    return [];
  }
}

const events = storedEvents();
win.__reproEvents = events;

function keep(event: RecordedEvent): void {
  events.push(event);
  // Rewritten whole each time: test pages are small and a reload can come at any moment.
  win.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(events));
}

// rrweb throws on custom events until its first snapshot (taken at `load` if started earlier).
const pending: [string, unknown][] = [];

function custom(tag: string, payload: unknown): void {
  pending.push([tag, payload]);
  flush();
}

function flush(): void {
  try {
    while (pending.length) {
      const [tag, payload] = pending[0];
      win.rrweb.record.addCustomEvent(tag, payload);
      pending.shift();
    }
  } catch {
    // Not recording yet; the load listener below flushes.
  }
}

function navigated(trigger: NonNullable<NavigationEventPayload['trigger']>): void {
  const payload: NavigationEventPayload = { href: win.location.href, trigger };
  custom('repro/navigation', payload);
}

/** Absolute URL without query string or fragment: they carry tokens and personal data. */
function withoutQuery(url: string): string {
  const absolute = new URL(url, win.location.href);
  absolute.search = '';
  absolute.hash = '';
  return absolute.href;
}

function requestDone(
  request: { method: string; url: string; started: number },
  status: number,
  error?: string,
): void {
  const payload: NetworkEventPayload = {
    method: request.method,
    url: request.url,
    status,
    durationMs: Math.round(win.performance.now() - request.started),
  };
  if (error !== undefined) payload.error = error;
  custom('repro/network', payload);
}

const originalFetch = win.fetch;
win.fetch = function (input, init) {
  const method =
    init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
  const url = typeof input === 'string' ? input : 'href' in input ? input.href : input.url;
  const request = {
    method: method.toUpperCase(),
    url: withoutQuery(url),
    started: win.performance.now(),
  };
  return originalFetch.call(win, input, init).then(
    (response) => {
      requestDone(request, response.status);
      return response;
    },
    (error: unknown) => {
      requestDone(request, 0, error instanceof Error ? error.message : String(error));
      throw error;
    },
  );
};

const xhrRequests = new WeakMap<Xhr, { method: string; url: string; started: number }>();

/**
 * readyState 4 comes before `load`, so the request is on record before the app's onload reacts
 * to it; a request with no response (status 0) waits for `loadend` to know why.
 */
function watchXhr(xhr: Xhr): void {
  let failure: string | undefined;
  const done = (status: number, error?: string) => {
    const request = xhrRequests.get(xhr);
    if (request) requestDone(request, status, error);
  };
  xhr.addEventListener('readystatechange', () => {
    if (xhr.readyState === 4 && xhr.status !== 0) done(xhr.status);
  });
  xhr.addEventListener('error', () => (failure = 'network error'));
  xhr.addEventListener('abort', () => (failure = 'aborted'));
  xhr.addEventListener('timeout', () => (failure = 'timeout'));
  xhr.addEventListener('loadend', () => {
    if (xhr.status === 0) done(0, failure ?? 'no response');
    failure = undefined;
  });
}

const { open, send } = win.XMLHttpRequest.prototype;
win.XMLHttpRequest.prototype.open = function (this: Xhr, method, url, ...rest) {
  if (!xhrRequests.has(this)) watchXhr(this);
  const href = typeof url === 'string' ? url : url.href;
  xhrRequests.set(this, { method: method.toUpperCase(), url: withoutQuery(href), started: 0 });
  open.call(this, method, url, ...rest);
};
win.XMLHttpRequest.prototype.send = function (this: Xhr, ...args) {
  const request = xhrRequests.get(this);
  if (request) request.started = win.performance.now();
  send.apply(this, args);
};

for (const trigger of ['pushState', 'replaceState'] as const) {
  const original = win.history[trigger];
  win.history[trigger] = function (this: unknown, ...args: unknown[]) {
    original.apply(this, args);
    navigated(trigger);
  };
}
win.addEventListener('popstate', () => navigated('popstate'));
win.addEventListener('hashchange', () => navigated('hashchange'));

win.rrweb.record({
  emit: keep,
  maskAllInputs: true,
  plugins: [win.rrwebPluginConsoleRecord.getRecordConsolePlugin()],
});
const [loaded] = win.performance.getEntriesByType('navigation');
navigated(loaded?.type === 'reload' ? 'reload' : 'load');
win.addEventListener('load', flush);
