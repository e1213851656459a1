/**
 * The widget's rolling recording in real Chromium (issue 14): kept in IndexedDB as chunks, so a
 * busy page's recording survives a reload; the window and the size cap hold while the page keeps
 * changing; without IndexedDB it still records (sessionStorage). The test app (test/fixtures/widget)
 * loads /widget.js from a small fake of the widget API that keeps the reports it gets.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { analyzeRecording } from '../../src/modules/recordings/analyzer/analyzer';
import { type Json, TestApp, type TestWindow } from '../fixtures/widget/test-app';
import { CHROMIUM, buildWidget } from '../support/browser';
import { waitFor } from '../support/wait-for';

const WIDGET_DIR = join(__dirname, '..', '..', 'dist', 'widget');
const KEY = 'pk_test_widget_recorder';

/** /widget.js, and POST /v1/widget/<key>/reports answering 202 (the bodies are kept). */
class FakeApi {
  server!: Server;
  origin = '';
  reports: Json[] = [];
  /** The raw JSON text of each report, as sent. */
  raw: string[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/widget.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' });
      res.end(readFileSync(join(WIDGET_DIR, 'repro.js')));
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers':
          'Content-Type, Content-Encoding, Idempotency-Key, Authorization',
      });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const id = randomUUID();
    if (req.method === 'POST' && req.url === `/v1/widget/${KEY}/reports`) {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
      this.raw.push(text);
      this.reports.push(JSON.parse(text) as Json);
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id, status: 'received', reporterToken: `rt_${id}` }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id, status: 'received', awaitingReply: false, messages: [] }));
  }
}

/**
 * Makes the test app's page busy: a table of `rows` rows whose cells change `perTick` at a time
 * every 100 ms, re-sorted every 2 s; plus a masked and a blocked element added later.
 */
async function makeBusy(page: Page, rows: number, perTick: number): Promise<void> {
  await page.evaluate(
    ({ rows, perTick }) => {
      // The root tsconfig has no DOM lib: the few members used here.
      interface Node {
        textContent: string | null;
        children: ArrayLike<Node>;
        appendChild(child: Node): void;
        className: string;
      }
      const doc = (globalThis as unknown as { document: Json }).document as {
        createElement(tag: string): Node;
        body: Node;
      };
      const table = doc.createElement('table');
      for (let i = 0; i < rows; i++) {
        const tr = doc.createElement('tr');
        for (let c = 0; c < 6; c++) {
          const td = doc.createElement('td');
          td.textContent = c === 0 ? `ROW-${i}` : (Math.random() * 1000).toFixed(2);
          tr.appendChild(td);
        }
        table.appendChild(tr);
      }
      doc.body.appendChild(table);
      const cells = Array.from(table.children).flatMap((tr) => Array.from(tr.children));
      setInterval(() => {
        for (let k = 0; k < perTick; k++) {
          cells[(Math.random() * cells.length) | 0].textContent = (Math.random() * 1000).toFixed(2);
        }
      }, 100);
      setInterval(() => {
        const list = Array.from(table.children);
        list.sort((a, b) => Number(a.children[1].textContent) - Number(b.children[1].textContent));
        for (const tr of list) table.appendChild(tr);
      }, 2_000);
      setTimeout(() => {
        const masked = doc.createElement('p');
        masked.className = 'repro-mask';
        masked.textContent = 'Masked Mallory 555-0100';
        const blocked = doc.createElement('div');
        blocked.className = 'repro-block';
        blocked.textContent = 'Blocked Bob';
        doc.body.appendChild(masked);
        doc.body.appendChild(blocked);
      }, 500);
    },
    { rows, perTick },
  );
}

/** Characters of the widget's recording in IndexedDB and in sessionStorage (its chunk keys). */
function stored(page: Page): Promise<{ idb: number; idbRows: number; session: number }> {
  return page.evaluate(async (key) => {
    const w = globalThis as unknown as Json;
    let idb = 0;
    let idbRows = 0;
    const dbs = (await w.indexedDB.databases()) as { name: string }[];
    if (dbs.some((d) => d.name === 'repro-recording')) {
      const rows = await new Promise<{ json: string }[]>((resolve, reject) => {
        const open = w.indexedDB.open('repro-recording');
        open.onerror = () => reject(new Error('open'));
        open.onsuccess = () => {
          const get = open.result.transaction('chunks').objectStore('chunks').getAll();
          get.onsuccess = () => {
            resolve(get.result);
            open.result.close();
          };
        };
      });
      idbRows = rows.length;
      for (const row of rows) idb += row.json.length + 1;
    }
    let session = 0;
    const storage = w.sessionStorage as { length: number; key(i: number): string };
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (k.startsWith(`repro:recording:${key}:`)) session += w.sessionStorage.getItem(k).length;
    }
    return { idb, idbRows, session };
  }, KEY);
}

describe('widget-recorder: the rolling recording in Chromium', () => {
  let browser: Browser;
  const api = new FakeApi();
  const app = new TestApp();
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    if (!existsSync(join(WIDGET_DIR, 'manifest.json'))) buildWidget();
    await api.start();
    await app.start();
    app.apiOrigin = api.origin;
    app.key = KEY;
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    await app.close();
    await api.close();
  });
  beforeEach(async () => {
    api.reports = [];
    api.raw = [];
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterEach(async () => {
    await context.close();
  });

  async function load(attrs: string): Promise<void> {
    app.attrs = `data-repro-launcher="false" ${attrs}`;
    await page.goto(`${app.origin}/app`);
    await page.waitForFunction(() => 'Repro' in globalThis);
  }

  async function report(): Promise<{ events: Json[]; sentAt: number }> {
    const sentAt = Date.now();
    await page.evaluate(() =>
      (globalThis as unknown as TestWindow).Repro.report({ description: 'recorder' }),
    );
    return { events: api.reports[api.reports.length - 1].events as Json[], sentAt };
  }

  const navigations = (events: Json[]) =>
    events
      .filter((e) => e.type === 5 && e.data.tag === 'repro/navigation')
      .map((e) => e.data.payload.trigger as string);

  it('a busy page’s recording is in IndexedDB and survives a reload; the report starts with a full snapshot and covers the window', async () => {
    // Busy, but well within the default cap (3 MB) over the window, so the window decides.
    const windowMs = 8_000;
    await load('data-repro-window-seconds="8" data-repro-checkout-seconds="3"');
    await makeBusy(page, 200, 30);
    await page.click('#orders-link'); // a pushState before the reload
    await page.waitForTimeout(3_000);
    // Stored as it goes (a chunk a second), in IndexedDB; sessionStorage holds no recording.
    const before = await stored(page);
    expect(before.idbRows).toBeGreaterThan(2);
    expect(before.idb).toBeGreaterThan(50_000);
    expect(before.session).toBe(0);

    await page.reload();
    await page.waitForFunction(() => 'Repro' in globalThis);
    await makeBusy(page, 200, 30);
    await page.waitForTimeout(windowMs + 1_000);
    const { events, sentAt } = await report();

    expect(events[0].type).toBe(4); // Meta, then the full snapshot the buffer starts with
    expect(events[1].type).toBe(2);
    const times = events.map((e) => e.timestamp as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // It covers the window: it starts at or before the window's start (a segment is dropped only
    // once the next one starts before it), at most one checkout period earlier; and ends now.
    expect(times[0]).toBeLessThanOrEqual(sentAt - windowMs);
    expect(times[0]).toBeGreaterThan(sentAt - windowMs - 3_000 - 1_500);
    expect(times[times.length - 1]).toBeGreaterThan(sentAt - 1_500);
    // Several full snapshots (the periodic checkouts) and the page's changes between them.
    expect(events.filter((e) => e.type === 2).length).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 3).length).toBeGreaterThan(50);
    // The class forms of the privacy markers hold too (added after the snapshot: mutations).
    const text = api.raw[api.raw.length - 1];
    expect(text).not.toContain('Masked Mallory');
    expect(text).not.toContain('Blocked Bob');
    expect(pageErrors).toEqual([]);

    // Longer than the window after the pushState: the reload (this page) is still in.
    expect(navigations(events)).toContain('reload');
    expect(navigations(events)).not.toContain('pushState');
  });

  it('the page before a reload is in the report (the chunks stored at pagehide included)', async () => {
    await load('data-repro-window-seconds="60"');
    await makeBusy(page, 300, 60);
    await page.click('#orders-link');
    await page.click('#load-plans'); // a request just before the reload
    await page.getByText('Plans: 404').waitFor();
    await page.reload();
    await page.waitForFunction(() => 'Repro' in globalThis);
    await page.waitForTimeout(1_500);
    const { events } = await report();
    expect(navigations(events)).toEqual(['load', 'pushState', 'reload']);
    const plans = events.filter(
      (e) =>
        e.type === 5 && e.data.tag === 'repro/network' && e.data.payload.url.includes('/plans'),
    );
    expect(plans).toHaveLength(1);
    // Two pages: each starts a segment with a full snapshot, and the analyzer reads them in order.
    expect(events.filter((e) => e.type === 2)).toHaveLength(2);
    const analysis = analyzeRecording(events);
    expect(analysis.failedRequests).toEqual([
      expect.objectContaining({ method: 'GET', url: `${app.origin}/api/plans`, status: 404 }),
    ]);
  });

  it('every segment is stored, not only the first: after several checkouts a reload keeps them all', async () => {
    await load('data-repro-window-seconds="60" data-repro-checkout-seconds="1"');
    await page.click('#orders-link');
    await page.waitForTimeout(4_500);
    await page.reload();
    await page.waitForFunction(() => 'Repro' in globalThis);
    await page.waitForTimeout(500);
    const { events } = await report();
    // The previous page's segments (a full snapshot a second, so four or more) and this one's.
    expect(events.filter((e) => e.type === 2).length).toBeGreaterThanOrEqual(5);
    expect(navigations(events)).toEqual(['load', 'pushState', 'reload']);
    expect(events[0].type).toBe(4);
    expect(events[1].type).toBe(2);
  });

  it('the size cap holds while the page keeps changing: stored and sent stay under it, newest kept', async () => {
    const cap = 400_000;
    await load(`data-repro-window-seconds="60" data-repro-max-bytes="${cap}"`);
    // The cap holds when a full snapshot and a couple of seconds of changes fit in half of it
    // (widget/README.md): here a 60 KB snapshot and about 45 KB of changes a second.
    await makeBusy(page, 100, 10);
    let most = 0;
    for (let i = 0; i < 15; i++) {
      await page.waitForTimeout(1_000);
      const now = await stored(page);
      most = Math.max(most, now.idb);
    }
    // The page produced far more than the cap in 15 s; the buffer kept to it all along.
    expect(most).toBeGreaterThan(cap / 4);
    expect(most).toBeLessThanOrEqual(cap);
    const { events, sentAt } = await report();
    expect(JSON.stringify(events).length).toBeLessThanOrEqual(cap);
    expect(events[0].type).toBe(4);
    expect(events[1].type).toBe(2);
    // The newest is what stays: the recording ends now and starts a few seconds back at most.
    expect(events[events.length - 1].timestamp).toBeGreaterThan(sentAt - 1_500);
    expect(events[0].timestamp).toBeGreaterThan(sentAt - 6_000);
  });

  for (const [name, script] of [
    [
      'IndexedDB missing',
      `Object.defineProperty(window, 'indexedDB', { get() { throw new Error('denied'); } });`,
    ],
    [
      'IndexedDB failing to open',
      `IDBFactory.prototype.open = function () {
         const request = {};
         setTimeout(() => request.onerror && request.onerror());
         return request;
       };`,
    ],
  ] as const) {
    it(`${name}: it still records, and a reload keeps the recording (sessionStorage)`, async () => {
      await page.addInitScript({ content: script });
      await load('data-repro-window-seconds="60"');
      await page.click('#orders-link');
      await page.waitForTimeout(1_500);
      await page.reload();
      await page.waitForFunction(() => 'Repro' in globalThis);
      await page.waitForTimeout(1_500);
      const kept = await page.evaluate((key) => {
        const storage = (globalThis as unknown as TestWindow).sessionStorage as unknown as {
          length: number;
          key(i: number): string;
        };
        const keys: string[] = [];
        for (let i = 0; i < storage.length; i++) keys.push(storage.key(i));
        return keys.filter((k) => k.startsWith(`repro:recording:${key}:`)).length;
      }, KEY);
      expect(kept).toBeGreaterThan(0);
      const { events } = await report();
      expect(events[0].type).toBe(4);
      expect(events[1].type).toBe(2);
      expect(navigations(events)).toEqual(['load', 'pushState', 'reload']);
      expect(pageErrors).toEqual([]);
    });
  }

  it('rows a closed tab left in IndexedDB are deleted once out of the window by the next page of the origin', async () => {
    const tabs = () =>
      page.evaluate(async () => {
        const w = globalThis as unknown as Json;
        return new Promise<string[]>((resolve, reject) => {
          const open = w.indexedDB.open('repro-recording');
          open.onerror = () => reject(new Error('open'));
          open.onsuccess = () => {
            const get = open.result.transaction('chunks').objectStore('chunks').getAll();
            get.onsuccess = () => {
              resolve([...new Set((get.result as { tab: string }[]).map((r) => r.tab))]);
              open.result.close();
            };
          };
        });
      });
    // Rows are kept for the window plus a checkout period (a segment's first rows are older).
    const attrs = 'data-repro-window-seconds="2" data-repro-checkout-seconds="1"';
    await load(attrs);
    await waitFor(async () => (await tabs()).length === 1, { what: 'the first tab’s rows' });
    await page.close();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    // A new tab (its own sessionStorage, so its own tab id) on the same origin.
    page = await context.newPage();
    await load(attrs);
    await page.waitForTimeout(1_500);
    expect(await tabs()).toHaveLength(1);
    const { events } = await report();
    expect(navigations(events)).toEqual(['load']);
  });
});
