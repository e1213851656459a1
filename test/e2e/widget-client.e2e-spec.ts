/**
 * The widget's browser script in real Chromium (playwright-core), against a fake of the widget
 * API that speaks the contract (/tmp/briefs/contract.md, issue 14): a test app on one origin
 * loads /widget.js from the "Repro" origin with data-repro-key, records, and sends.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { analyzeRecording } from '../../src/modules/recordings/analyzer/analyzer';
import {
  CARD,
  type El,
  isFocused,
  type Json,
  PASSWORD,
  TestApp,
  type TestWindow,
  tabToLauncher,
  watchRequests,
} from '../fixtures/widget/test-app';
import { CHROMIUM, buildWidget } from '../support/browser';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const WIDGET_DIR = join(ROOT, 'dist', 'widget');
const SHOTS = '/tmp/shots/widget-client';
const KEY = 'pk_test_widget_client';

interface FakeReport {
  id: string;
  idempotencyKey: string;
  token: string;
  body: Json;
  status: string;
  awaitingReply: boolean;
  messages: Json[];
  filed: boolean;
  ticket: { key: string; url: string } | null;
}

/** The widget API of the contract, in memory: reports, the conversation, injected failures. */
class FakeRepro {
  server!: Server;
  origin = '';
  reports: FakeReport[] = [];
  posts: { idempotencyKey: string; encoding: string | undefined; status: number }[] = [];
  answers: string[] = [];
  /** The next N report POSTs answer 503. */
  failNext = 0;
  /** Report POSTs answer 429 with this Retry-After while set. */
  rateLimitSeconds: number | null = null;
  /** Report POSTs wait this long before answering. */
  delayMs = 0;
  /** Report POSTs answer 400 VALIDATION_FAILED while set. */
  refuse = false;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    Object.assign(this, {
      reports: [],
      posts: [],
      answers: [],
      failNext: 0,
      rateLimitSeconds: null,
      delayMs: 0,
      refuse: false,
    });
  }

  ask(report: FakeReport, body: string, questions: string[]): void {
    report.messages.push({
      id: randomUUID(),
      author: 'agent',
      body,
      questions,
      createdAt: new Date().toISOString(),
    });
    report.awaitingReply = true;
    report.status = 'awaiting_reporter';
  }

  private cors(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers.origin) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After, Idempotent-Replayed');
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Json = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headers = {}) {
    this.send(res, status, { error: { code, message, requestId: randomUUID() } }, headers);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (req.method === 'GET' && url.pathname === '/widget.js') {
      res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Access-Control-Allow-Origin': '*',
      });
      res.end(readFileSync(join(WIDGET_DIR, 'repro.js')));
      return;
    }
    this.cors(req, res);
    if (req.method === 'GET' && url.pathname === '/repro.mjs') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(readFileSync(join(WIDGET_DIR, 'repro.mjs')));
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers':
          'Content-Type, Content-Encoding, Idempotency-Key, Authorization',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    const match = /^\/v1\/widget\/([^/]+)\/reports(?:\/([^/]+)(\/messages)?)?$/.exec(url.pathname);
    if (!match || match[1] !== KEY) return this.error(res, 401, 'UNAUTHORIZED', 'Unknown key.');
    const [, , id, messages] = match;
    if (!id && req.method === 'POST') {
      const idempotencyKey = String(req.headers['idempotency-key'] ?? '');
      const encoding = req.headers['content-encoding'];
      if (encoding === 'gzip') raw = gunzipSync(raw);
      const record = (status: number) => this.posts.push({ idempotencyKey, encoding, status });
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.rateLimitSeconds !== null) {
        record(429);
        return this.error(res, 429, 'RATE_LIMITED', 'Too many requests.', {
          'Retry-After': String(this.rateLimitSeconds),
        });
      }
      if (this.failNext > 0) {
        this.failNext--;
        record(503);
        return this.error(res, 503, 'DEPENDENCY_UNAVAILABLE', 'PostgreSQL is unavailable.');
      }
      if (this.refuse) {
        record(400);
        return this.error(res, 400, 'VALIDATION_FAILED', 'description is too long');
      }
      record(202);
      const replay = this.reports.find((r) => r.idempotencyKey === idempotencyKey);
      if (replay) {
        return this.send(
          res,
          202,
          { id: replay.id, status: replay.status, reporterToken: replay.token },
          { 'Idempotent-Replayed': 'true' },
        );
      }
      const report: FakeReport = {
        id: randomUUID(),
        idempotencyKey,
        token: `rt_${randomUUID()}`,
        body: JSON.parse(raw.toString('utf8')),
        status: 'received',
        awaitingReply: false,
        messages: [],
        filed: false,
        ticket: null,
      };
      this.reports.push(report);
      return this.send(res, 202, {
        id: report.id,
        status: report.status,
        reporterToken: report.token,
      });
    }
    const report = this.reports.find((r) => r.id === id);
    if (!report || req.headers.authorization !== `Bearer ${report.token}`) {
      return this.error(res, 401, 'UNAUTHORIZED', 'Bad reporter token.');
    }
    if (!messages && req.method === 'GET') {
      const { status, awaitingReply, filed, ticket } = report;
      return this.send(res, 200, {
        id,
        status,
        awaitingReply,
        messages: report.messages,
        filed,
        ticket,
      });
    }
    if (messages && req.method === 'POST') {
      const body = (JSON.parse(raw.toString('utf8')) as { body: string }).body;
      this.answers.push(body);
      const message = { id: randomUUID(), author: 'reporter', body, createdAt: new Date() };
      report.messages.push(message);
      report.awaitingReply = false;
      report.status = 'triaging';
      return this.send(res, 201, { message, status: report.status });
    }
    return this.error(res, 404, 'NOT_FOUND', 'No such route.');
  }
}

describe('widget-client: the browser script in Chromium', () => {
  let browser: Browser;
  const api = new FakeRepro();
  const app = new TestApp();

  beforeAll(async () => {
    // The e2e global setup builds dist/widget; a run of this file alone still needs it.
    if (!existsSync(join(WIDGET_DIR, 'manifest.json'))) {
      buildWidget();
    }
    mkdirSync(SHOTS, { recursive: true });
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

  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  beforeEach(async () => {
    api.reset();
    app.csp = null;
    app.lang = 'en';
    app.attrs = 'data-repro-retry-delays-ms="100,200,400" data-repro-poll-ms="300"';
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterEach(async () => {
    await context.close();
  });

  /** The widget's shadow DOM, through playwright's piercing locators. */
  const widget = (p: Page = page) => p.locator('[data-repro-widget]');
  const launcher = (p: Page = page) => widget(p).getByRole('button', { name: 'Report a bug' });
  const dialog = (p: Page = page) => widget(p).getByRole('dialog');

  async function load(path = '/app'): Promise<void> {
    await page.goto(`${app.origin}${path}`);
    await launcher().waitFor();
  }

  async function openAndWrite(description: string, email?: string): Promise<void> {
    await launcher().click();
    await dialog().getByLabel('What happened?').fill(description);
    if (email) await dialog().getByLabel('Your email').fill(email);
  }

  it('records an SPA navigation, a reload, a failed request and a console error; masked inputs never leave; keyboard only', async () => {
    // Bodies and headers for the app's /api/ only (allow-listed), never the sensitive headers.
    app.attrs += ` data-repro-network-bodies="${app.origin}/api/billing"`;
    const bodies = watchRequests(page);
    await load();
    await page.fill('#password', PASSWORD);
    await page.fill('#card', CARD);
    await page.click('#orders-link');
    await page.waitForURL(/\/app\/orders$/);
    await page.click('#save');
    await page.getByText('Something went wrong').waitFor();
    await page.click('#load-plans');
    await page.getByText('Plans: 404').waitFor();
    await page.reload();
    await launcher().waitFor();
    await page.click('#home-link');

    // Keyboard only: Tab to the launcher, Enter, type, Tab through, Enter on Send.
    await tabToLauncher(page);
    await page.keyboard.press('Enter');
    await dialog().waitFor();
    expect(await isFocused(dialog().getByLabel('What happened?'))).toBe(true);
    await page.keyboard.type('Saving my card fails with an error');
    await page.keyboard.press('Tab');
    expect(await isFocused(dialog().getByLabel('Your email'))).toBe(true);
    await page.keyboard.type('jane@acme.example');
    await page.keyboard.press('Tab'); // the "Include the recording" checkbox
    await page.keyboard.press('Tab'); // Send
    expect(await isFocused(dialog().getByRole('button', { name: 'Send' }))).toBe(true);
    await page.keyboard.press('Enter');
    await dialog().getByText('Thanks, your report was sent.').waitFor();

    expect(api.reports).toHaveLength(1);
    expect(api.posts[0].encoding).toBe('gzip');
    const report = api.reports[0].body;
    expect(report.description).toBe('Saving my card fails with an error');
    expect(report.reporter).toEqual({ email: 'jane@acme.example' });
    expect(report.page.url).toBe(`${app.origin}/app`);
    const events = report.events as Json[];
    expect(events[0].type).toBe(4); // Meta, then the full snapshot the buffer starts with
    expect(events[1].type).toBe(2);
    // The widget's own UI is blocked from the recording (data-repro-block on its host).
    expect(JSON.stringify(events)).not.toContain('What happened?');
    const custom = events.filter((e) => e.type === 5).map((e) => e.data);
    expect(custom).toContainEqual({
      tag: 'repro/navigation',
      payload: { href: `${app.origin}/app/orders`, trigger: 'pushState' },
    });
    expect(custom).toContainEqual({
      tag: 'repro/navigation',
      payload: { href: `${app.origin}/app/orders`, trigger: 'reload' },
    });
    const requests = custom.filter((d) => d.tag === 'repro/network').map((d) => d.payload);
    const network = requests.find((r) => r.method === 'POST');
    expect(network).toMatchObject({ method: 'POST', status: 500 });
    expect(network.url).toBe(`${app.origin}/api/billing?token=%5Bredacted%5D&plan=pro`);
    expect(network.requestBody).toBe('{"plan":"pro"}');
    expect(network.responseBody).toBe('{"error":"card declined"}');
    expect(network.requestHeaders).toEqual({ 'content-type': 'application/json' });
    expect(network.responseHeaders['content-type']).toBe('application/json');
    expect(network.responseHeaders['set-cookie']).toBeUndefined();
    // The XHR: not allow-listed, so no headers or bodies; its secret parameter redacted.
    const xhr = requests.find((r) => r.method === 'GET' && r.url.includes('/api/plans'));
    expect(xhr).toEqual({
      method: 'GET',
      url: `${app.origin}/api/plans?session=%5Bredacted%5D`,
      status: 404,
      durationMs: expect.any(Number),
    });

    // What the server's analyzer makes of it: the failed request and the console error.
    const analysis = analyzeRecording(events);
    expect(analysis.failedRequests).toEqual([
      expect.objectContaining({ method: 'POST', url: `${app.origin}/api/billing`, status: 500 }),
      expect.objectContaining({ method: 'GET', url: `${app.origin}/api/plans`, status: 404 }),
    ]);
    expect(analysis.errors.map((e) => e.message)).toContainEqual(
      expect.stringContaining('Payment failed: card declined'),
    );

    // The typed secrets (and the page's Authorization header) are in no request the page sent.
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(CARD);
      expect(body).not.toContain('page-secret');
      expect(body).not.toContain('s3cr3t-token');
      expect(body).not.toContain('xhr-s3cr3t');
      expect(body).not.toContain('xhr-key-secret');
      expect(body).not.toContain('sid=abc');
      expect(body).not.toContain('Jane Roe'); // data-repro-mask text
    }
    expect(pageErrors).toEqual([]);
  });

  it('offline, then online: the report waits in the browser, survives a reload and is sent once', async () => {
    await load();
    await page.evaluate(() => {
      const w = globalThis as unknown as TestWindow;
      w.__sent = [];
      w.Repro.on('report:sent', (detail) => w.__sent.push(detail));
    });
    await context.setOffline(true);
    await openAndWrite('Offline bug', 'off@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('You’re offline').waitFor();
    expect(api.posts).toHaveLength(0);
    // A reload while still offline (from cache is not possible: go back online for the page only after).
    await context.setOffline(false);
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (globalThis as unknown as TestWindow).__sent)).toEqual([
      { id: api.reports[0].id, status: 'received' },
    ]);
    await page.reload();
    await launcher().waitFor();
    await page.waitForTimeout(1_000);
    expect(api.reports).toHaveLength(1);
    expect(api.posts.filter((p) => p.status === 202)).toHaveLength(1);
    expect(api.reports[0].body.description).toBe('Offline bug');
  });

  it('a report queued offline is sent after a reload once back online', async () => {
    await load();
    await context.setOffline(true);
    const queued = await page.evaluate(() => {
      const w = globalThis as unknown as TestWindow;
      void w.Repro.report({ description: 'Queued then reloaded' });
      return w.localStorage.getItem('repro:outbox:pk_test_widget_client');
    });
    expect(queued).toContain('Queued then reloaded');
    await context.setOffline(false);
    // Reload at once: the page that queued it may or may not have sent it; either way, once.
    await page.reload();
    await launcher().waitFor();
    await waitFor(() => api.reports.length === 1, { what: 'the queued report' });
    await page.waitForTimeout(1_000);
    expect(api.reports).toHaveLength(1);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as TestWindow).localStorage.getItem(
          'repro:outbox:pk_test_widget_client',
        ),
      ),
    ).toBeNull();
  });

  it('the server failing twice then answering 202 makes one report under one idempotency key', async () => {
    api.failNext = 2;
    await load();
    await openAndWrite('Flaky server', 'flaky@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    expect(api.posts.map((p) => p.status)).toEqual([503, 503, 202]);
    expect(new Set(api.posts.map((p) => p.idempotencyKey)).size).toBe(1);
    expect(api.reports).toHaveLength(1);
  });

  it('a blocked request shows an honest error, and Retry sends it (once)', async () => {
    await load();
    await page.route(`${api.origin}/v1/widget/*/reports`, (route) =>
      route.request().method() === 'POST' ? route.abort('blockedbyclient') : route.continue(),
    );
    const sent: string[] = [];
    await page.evaluate(() => {
      (globalThis as unknown as TestWindow).__sent = [];
      (globalThis as unknown as TestWindow).Repro.on('report:sent', (d: Json) =>
        (globalThis as unknown as TestWindow).__sent.push(d),
      );
    });
    await openAndWrite('Blocked by an ad blocker', 'blocked@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    const alert = dialog().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('could not be sent');
    expect(await dialog().getByText('Thanks').count()).toBe(0);
    expect(api.reports).toHaveLength(0);
    await page.unroute(`${api.origin}/v1/widget/*/reports`);
    await dialog().getByRole('button', { name: 'Retry' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    expect(api.reports).toHaveLength(1);
    sent.push(
      ...(await page.evaluate(() =>
        (globalThis as unknown as TestWindow).__sent.map((d: Json) => d.id),
      )),
    );
    expect(sent).toEqual([api.reports[0].id]);
  });

  it('429 says to try again later; Repro.report() rejects with the server code', async () => {
    api.rateLimitSeconds = 120;
    await load();
    await openAndWrite('Too many', 'rl@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByRole('alert').getByText('try again later').waitFor();
    api.rateLimitSeconds = null;
    api.refuse = true;
    const rejected = await page.evaluate(() =>
      (globalThis as unknown as TestWindow).Repro.report({ description: 'x' }).then(
        () => null,
        (e: Json) => ({ name: e.name, code: e.code, message: e.message, status: e.status }),
      ),
    );
    expect(rejected).toEqual({
      name: 'ReproError',
      code: 'VALIDATION_FAILED',
      message: 'description is too long',
      status: 400,
    });
    api.refuse = false;
    const accepted = await page.evaluate(() =>
      (globalThis as unknown as TestWindow).Repro.report({
        description: 'By API',
        email: 'api@acme.example',
      }),
    );
    expect(accepted).toEqual({ id: api.reports[0].id, status: 'received' });
  });

  it('works under a strict CSP (no unsafe-inline, no unsafe-eval) with the documented additions', async () => {
    app.csp = [
      "default-src 'self'",
      `script-src 'self' ${api.origin}`,
      `connect-src 'self' ${api.origin}`,
      "style-src 'self'",
      "img-src 'self' data:",
    ].join('; ');
    await load();
    await page.click('#save');
    await openAndWrite('CSP page', 'csp@acme.example');
    const send = dialog().getByRole('button', { name: 'Send' });
    // The widget's own CSS applies (constructed stylesheet), the host's hotpink buttons do not.
    expect(
      await send.evaluate(
        (b: El) => (globalThis as unknown as TestWindow).getComputedStyle(b).backgroundColor,
      ),
    ).not.toBe('rgb(255, 105, 180)');
    await send.click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    expect(api.reports).toHaveLength(1);
    expect((api.reports[0].body.events as Json[]).length).toBeGreaterThan(2);
    expect(await page.evaluate(() => (globalThis as unknown as TestWindow).__violations)).toEqual(
      [],
    );
    expect(pageErrors).toEqual([]);
  });

  it('the conversation: a question appears, survives a reload, is answered from the panel, then "We’ve filed this"', async () => {
    await load();
    await openAndWrite('Export button does nothing', 'conv@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    await page.evaluate(() => {
      const w = globalThis as unknown as TestWindow;
      w.__sent = [];
      w.Repro.on('question', (detail) => w.__sent.push(detail));
    });
    const report = api.reports[0];
    api.ask(report, 'Thanks! A couple of questions:', [
      'Which browser were you using?',
      '<b>not bold</b>',
    ]);
    await dialog().getByText('We have a question').waitFor();
    await dialog().getByText('Which browser were you using?').waitFor();
    // Customer text is shown as text.
    await dialog().getByText('<b>not bold</b>').waitFor();
    const questions = await page.evaluate(() => (globalThis as unknown as TestWindow).__sent);
    expect(questions).toEqual([
      { reportId: report.id, message: expect.objectContaining({ author: 'agent' }) },
    ]);

    await page.reload();
    await launcher().waitFor();
    await launcher().click();
    await dialog().getByText('Which browser were you using?').waitFor();
    // Keyboard: the answer field takes focus first? Type into it and send with the keyboard.
    await dialog().getByLabel('Your answer').focus();
    await page.keyboard.type('Chrome on a Mac');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitFor(() => api.answers.length === 1, { what: 'the answer' });
    expect(api.answers).toEqual(['Chrome on a Mac']);
    await dialog().getByText('Chrome on a Mac').waitFor();

    report.filed = true;
    report.status = 'filed';
    report.ticket = { key: 'ACME-12', url: 'https://tracker.example/ACME-12' };
    await dialog().getByText('We’ve filed this as ACME-12.').waitFor();
    await page.reload();
    await launcher().click();
    await dialog().getByText('We’ve filed this as ACME-12.').waitFor();
  });

  it('keeps only the last window: old segments go, the buffer still starts with a full snapshot', async () => {
    app.attrs += ' data-repro-window-seconds="2" data-repro-checkout-seconds="1"';
    await load();
    await page.click('#orders-link');
    await page.waitForTimeout(4_500);
    const sentAt = Date.now();
    await page.evaluate(() =>
      (globalThis as unknown as TestWindow).Repro.report({ description: 'window' }),
    );
    const events = api.reports[0].body.events as Json[];
    expect(events[0].type).toBe(4);
    expect(events[1].type).toBe(2);
    // The pushState 4.5 s ago is outside the 2 s window (plus one checkout period at most).
    expect(events[0].timestamp).toBeGreaterThan(sentAt - 3_500);
    expect(JSON.stringify(events)).not.toContain('pushState');
  });

  it('bounds the buffer by its size cap, dropping whole segments from the oldest', async () => {
    const segments = async (attrs: string) => {
      app.attrs = `data-repro-window-seconds="60" data-repro-checkout-seconds="1" ${attrs}`;
      api.reset();
      await load();
      await page.waitForTimeout(3_500);
      await page.evaluate(() =>
        (globalThis as unknown as TestWindow).Repro.report({ description: 'cap' }),
      );
      const events = api.reports[0].body.events as Json[];
      expect(events[1].type).toBe(2);
      return events.filter((e) => e.type === 2).length;
    };
    expect(await segments('')).toBeGreaterThanOrEqual(3);
    await page.evaluate(() => (globalThis as unknown as TestWindow).sessionStorage.clear());
    expect(await segments('data-repro-max-bytes="4000"')).toBe(1);
  });

  it('attaches the ids of Sentry’s browser SDK on the page', async () => {
    await load();
    await page.evaluate(() => {
      (globalThis as unknown as { Sentry: Json }).Sentry = {
        lastEventId: () => 'c0ffee00c0ffee00c0ffee00c0ffee00',
        getReplay: () => ({ getReplayId: () => 'feedbeeffeedbeeffeedbeeffeedbeef' }),
        getActiveSpan: () => undefined,
        getCurrentScope: () => ({
          getPropagationContext: () => ({ traceId: '0123456789abcdef0123456789abcdef' }),
        }),
      };
    });
    await page.evaluate(() =>
      (globalThis as unknown as TestWindow).Repro.report({ description: 'with sentry' }),
    );
    expect(api.reports[0].body.sentry).toEqual({
      eventId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      replayId: 'feedbeeffeedbeeffeedbeeffeedbeef',
      traceId: '0123456789abcdef0123456789abcdef',
    });
  });

  it('the ES module has the same API and sends a report', async () => {
    app.attrs = 'data-repro-record="false"';
    await page.goto(`${app.origin}/app`);
    // The tag on this page is the IIFE's copy; the module is a second, separate one.
    await page.addScriptTag({
      type: 'module',
      content: `import * as m from '${api.origin}/repro.mjs'; window.__module = m;`,
    });
    await page.waitForFunction(() => '__module' in globalThis);
    const result = await page.evaluate(
      async ({ key, origin }) => {
        const m = (globalThis as unknown as { __module: Json }).__module;
        m.init({ key, endpoint: origin, launcher: false });
        const sent = (await m.report({ description: 'from the module' })) as Json;
        return { exports: Object.keys(m).sort(), sent };
      },
      { key: KEY, origin: api.origin },
    );
    expect(result.exports).toEqual(
      expect.arrayContaining(['close', 'destroy', 'identify', 'init', 'on', 'open', 'report']),
    );
    expect(result.sent).toEqual({ id: api.reports[0].id, status: 'received' });
    expect(api.reports[0].body.description).toBe('from the module');
  });

  it('Escape closes the panel and focus returns to the launcher; Tab stays inside the panel', async () => {
    await load();
    await launcher().click();
    expect(await isFocused(dialog().getByLabel('What happened?'))).toBe(true);
    for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => {
      const { document } = globalThis as unknown as TestWindow;
      const host = document.querySelector('[data-repro-widget]');
      return document.activeElement === host && Boolean(host?.shadowRoot?.activeElement);
    });
    expect(inside).toBe(true);
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
    expect(await isFocused(launcher())).toBe(true);
  });

  it('without a launcher (data-repro-launcher="false") the host app opens the panel itself', async () => {
    app.attrs = 'data-repro-launcher="false"';
    await page.goto(`${app.origin}/app`);
    await page.waitForFunction(() => 'Repro' in globalThis);
    await page.locator('[data-repro-widget]').waitFor({ state: 'attached' });
    expect(await launcher().isVisible()).toBe(false);
    await page.evaluate(() => (globalThis as unknown as { Repro: { open(): void } }).Repro.open());
    await dialog().getByLabel('What happened?').waitFor();
  });

  it('speaks the page language (Portuguese); an identified customer gets no email field', async () => {
    app.lang = 'pt-BR';
    await page.goto(`${app.origin}/app`);
    const button = widget().getByRole('button', { name: 'Reportar um erro' });
    await button.click();
    await dialog().getByLabel('O que aconteceu?').waitFor();
    await page.evaluate(() =>
      (globalThis as unknown as TestWindow).Repro.identify({
        id: 'u1',
        email: 'known@acme.example',
        name: 'Known',
      }),
    );
    expect(await dialog().getByLabel('Seu e-mail').count()).toBe(0);
  });

  describe('screenshots of every state', () => {
    const sizes = [
      { name: 'desktop', width: 1280, height: 800 },
      { name: 'phone', width: 390, height: 844 },
    ];
    for (const size of sizes) {
      for (const scheme of ['light', 'dark'] as const) {
        it(`${size.name} ${scheme}`, async () => {
          await context.close();
          context = await browser.newContext({
            viewport: { width: size.width, height: size.height },
            colorScheme: scheme,
          });
          page = await context.newPage();
          const shot = (state: string) =>
            page.screenshot({ path: join(SHOTS, `${state}-${size.name}-${scheme}.png`) });
          await load();
          await shot('1-launcher');
          await page.evaluate(() =>
            (globalThis as unknown as TestWindow).Repro.identify({ email: 'id@acme.example' }),
          );
          await launcher().click();
          await shot('2-panel-empty');
          await page.evaluate(() => (globalThis as unknown as TestWindow).Repro.destroy());
          await page.evaluate(() => {
            const w = globalThis as unknown as TestWindow;
            w.sessionStorage.clear();
            w.localStorage.clear();
          });
          await page.reload();
          await openAndWrite('The export button does nothing when I click it.');
          await shot('3-panel-with-email');
          api.delayMs = 1_500;
          await dialog().getByRole('button', { name: 'Send' }).click();
          await dialog().getByText('Sending').waitFor();
          await shot('4-sending');
          await dialog().getByText('Thanks, your report was sent.').waitFor();
          await shot('5-sent');
          const report = api.reports[api.reports.length - 1];
          api.ask(report, 'Thanks for the report. To find it faster:', [
            'Which file were you exporting?',
            'Did it work before today?',
          ]);
          await dialog().getByText('Which file were you exporting?').waitFor();
          await shot('7-question');
          report.filed = true;
          report.ticket = { key: 'ACME-12', url: 'https://tracker.example/ACME-12' };
          await dialog().getByText('We’ve filed this as ACME-12.').waitFor();
          await shot('8-filed');
          await dialog().getByRole('button', { name: 'Report another bug' }).click();
          api.delayMs = 0;
          api.rateLimitSeconds = 60;
          await dialog().getByLabel('What happened?').fill('Another one');
          await dialog().getByRole('button', { name: 'Send' }).click();
          await dialog().getByRole('alert').waitFor();
          await shot('6-error');
        });
      }
    }
  });
});
