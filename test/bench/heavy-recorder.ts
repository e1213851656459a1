/**
 * Records real rrweb sessions in Chromium, for the analyzer's browser tests and the heavy-page
 * benchmark. Pages are served from memory through playwright's routing (no network, no port):
 * rrweb's browser bundle and a small recorder are added to every page before its own scripts
 * (`addInitScript({ path })`), so each load, reload and tab records from its first paint, the
 * way Repro's widget does (test/browser/recorder.ts): every input masked, the console plugin on,
 * URL changes and requests reported as `repro/navigation` and `repro/network` custom events.
 * Events reach Node through a binding as rrweb emits them, in batches; tabs share one stream,
 * so a two-tab session interleaves the way a streamed upload does.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { type BrowserContext } from 'playwright-core';
import { CHROMIUM } from '../support/browser';

export const ORIGIN = 'http://app.repro.test';

const RRWEB = path.join(path.dirname(require.resolve('rrweb')), 'rrweb.umd.cjs');
const CONSOLE_PLUGIN = path.join(
  path.dirname(require.resolve('@rrweb/rrweb-plugin-console-record')),
  'rrweb-plugin-console-record.umd.cjs',
);

export { CHROMIUM };

export interface RecordedEvent {
  type: number;
  timestamp: number;
  data: Record<string, unknown>;
}

/**
 * Runs in the page (as a string: the project compiles without the DOM lib). `flushMs` 0 sends
 * every event at once; more batches them, as a widget's buffer would.
 */
function recorderSource(flushMs: number, checkoutEveryNms: number, navigation: boolean): string {
  return `(() => {
  if (window.top !== window || !location.protocol.startsWith('http')) return;
  const queue = [];
  let timer = null;
  const flush = () => {
    timer = null;
    if (!queue.length) return;
    window.__reproEmit('[' + queue.join(',') + ']');
    queue.length = 0;
  };
  const emit = (event) => {
    queue.push(JSON.stringify(event));
    if (${flushMs} === 0) flush();
    else if (!timer) timer = setTimeout(flush, ${flushMs});
  };
  window.addEventListener('pagehide', flush);
  const pending = [];
  const custom = (tag, payload) => {
    pending.push([tag, payload]);
    try {
      while (pending.length) {
        rrweb.record.addCustomEvent(pending[0][0], pending[0][1]);
        pending.shift();
      }
    } catch {}
  };
  const navigated = (trigger) =>
    ${navigation} && custom('repro/navigation', { href: location.href, trigger });
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    history[name] = function (...args) {
      original.apply(this, args);
      navigated(name);
    };
  }
  window.addEventListener('popstate', () => navigated('popstate'));
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const method = ((init && init.method) || 'GET').toUpperCase();
    const url = new URL(typeof input === 'string' ? input : input.url, location.href);
    url.search = '';
    const started = performance.now();
    const done = (status, error) => {
      const payload = { method, url: url.href, status, durationMs: Math.round(performance.now() - started) };
      if (error) payload.error = error;
      custom('repro/network', payload);
    };
    return originalFetch.call(window, input, init).then(
      (response) => { done(response.status); return response; },
      (error) => { done(0, String(error && error.message)); throw error; },
    );
  };
  const start = () => {
    rrweb.record({
      emit,
      maskAllInputs: true,
      ${checkoutEveryNms ? `checkoutEveryNms: ${checkoutEveryNms},` : ''}
      plugins: [rrwebPluginConsoleRecord.getRecordConsolePlugin()],
    });
    const [loaded] = performance.getEntriesByType('navigation');
    navigated(loaded && loaded.type === 'reload' ? 'reload' : 'load');
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();`;
}

export interface Route {
  status?: number;
  contentType?: string;
  body: string;
  delayMs?: number;
}

export interface RecorderOptions {
  /** What the site answers for a path (without query); undefined is a 404. */
  site: (pathname: string) => Route | undefined;
  /** Batch events for this long in the page before sending them (0: one by one). */
  flushMs?: number;
  /** rrweb's periodic full snapshot, as a rolling buffer needs. */
  checkoutEveryNms?: number;
  /** Report URL changes as `repro/navigation` events, as the widget does (default true). */
  navigationEvents?: boolean;
  /** Stream the events to this JSON file instead of keeping them in memory. */
  file?: string;
}

export interface Recorder {
  /** The events so far, as they arrived from every tab (empty when streaming to a file). */
  events: RecordedEvent[];
  /** The same events, one list per tab, in the order the tabs first recorded. */
  tabs: RecordedEvent[][];
  count: number;
  bytes: number;
  /** Waits until no event has arrived for `quietMs`. */
  settle(quietMs?: number): Promise<void>;
  /** Ends the JSON file, when streaming to one. */
  close(): Promise<void>;
}

/** Installs the recorder and the in-memory site on a context; call before opening pages. */
export async function recordContext(
  context: BrowserContext,
  options: RecorderOptions,
): Promise<Recorder> {
  let out: WriteStream | null = null;
  if (options.file) {
    out = createWriteStream(options.file);
    out.write('[');
  }
  let lastArrival = Date.now();
  let closed = false;
  const recorder: Recorder = {
    events: [],
    tabs: [],
    count: 0,
    bytes: 0,
    async settle(quietMs = 300) {
      const deadline = Date.now() + 10_000;
      while (Date.now() - lastArrival < quietMs && Date.now() < deadline)
        await new Promise((done) => setTimeout(done, 50));
    },
    close() {
      const stream = out;
      out = null;
      closed = true;
      if (!stream) return Promise.resolve();
      return new Promise<void>((done, fail) => {
        stream.on('error', fail);
        stream.end(']', done);
      });
    },
  };
  const byPage = new Map<unknown, RecordedEvent[]>();
  await context.exposeBinding('__reproEmit', (source, batch: string) => {
    lastArrival = Date.now();
    if (closed) return;
    if (out) {
      // The batch is a JSON array: its inside joins the file's array.
      const inner = batch.slice(1, -1);
      if (!inner) return;
      out.write(recorder.count ? `,${inner}` : inner);
      recorder.bytes += inner.length + 1;
      recorder.count += (JSON.parse(batch) as unknown[]).length;
      return;
    }
    const events = JSON.parse(batch) as RecordedEvent[];
    recorder.events.push(...events);
    let tab = byPage.get(source.page);
    if (!tab) {
      tab = [];
      byPage.set(source.page, tab);
      recorder.tabs.push(tab);
    }
    tab.push(...events);
    recorder.count += events.length;
    recorder.bytes += batch.length;
  });
  await context.addInitScript({ path: RRWEB });
  await context.addInitScript({ path: CONSOLE_PLUGIN });
  await context.addInitScript({
    content: recorderSource(
      options.flushMs ?? 0,
      options.checkoutEveryNms ?? 0,
      options.navigationEvents ?? true,
    ),
  });
  await context.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    const answer = options.site(url.pathname);
    if (!answer) return route.fulfill({ status: 404, body: 'not found' });
    if (answer.delayMs) await new Promise((done) => setTimeout(done, answer.delayMs));
    return route.fulfill({
      status: answer.status ?? 200,
      contentType: answer.contentType ?? 'text/html; charset=utf-8',
      body: answer.body,
    });
  });
  return recorder;
}
