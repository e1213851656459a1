/**
 * Real sessions, real rrweb: headless Chromium clicks and types through test pages that record
 * themselves the way Repro's widget will (test/browser/recorder.ts), and the analyzer must tell
 * an engineer what happened. Also runs the real-world rrweb fixtures through it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { analyzeRecording } from '../../src/modules/recordings/analyzer/analyzer';
import type { RecordingAnalysis } from '../../src/modules/recordings/analyzer/types';
import { startTestServer, type TestServer } from '../browser/test-server';
import { fixturePath } from '../support/fixtures';
import { CHROMIUM } from '../support/browser';

interface RecordedEvent {
  type: number;
  timestamp: number;
  data: {
    source?: number;
    type?: number;
    id?: number;
    text?: string;
    href?: string;
    tag?: string;
    plugin?: string;
    payload?: { url?: string; level?: string };
  };
}

/** What the test pages expose; the project has no DOM lib, so page-side code casts to this. */
interface RecordingWindow {
  __reproEvents?: RecordedEvent[];
  navigator: { userAgent: string; language: string };
  innerWidth: number;
  innerHeight: number;
}

const EventType = { FullSnapshot: 2, Incremental: 3, Meta: 4, Custom: 5, Plugin: 6 } as const;
const MOUSE_INTERACTION = 2;
const CLICK = 2;
const INPUT = 5;

const CLIENT = {
  viewport: { width: 1280, height: 800 },
  locale: 'pt-BR',
  timezoneId: 'America/Sao_Paulo',
};
/** How long the recording must stay unchanged before it counts as flushed. */
const QUIET_MS = 250;
/** Past the analyzer's 1.5 s dead-click threshold, with margin. */
const DEAD_CLICK_WAIT_MS = 1_700;

const FIXTURES = fixturePath('rrweb');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('recording analysis of real rrweb sessions in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer(), chromium.launch(CHROMIUM)]);
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh browser profile on one of the test pages, once rrweb has taken its snapshot. */
  async function open(pathname: string): Promise<Page> {
    context = await browser.newContext(CLIENT);
    const page = await context.newPage();
    await page.goto(`${server.origin}${pathname}`);
    await waitForEvents(page, EventType.FullSnapshot, 1);
    return page;
  }

  async function waitForEvents(page: Page, type: number, count: number): Promise<void> {
    await page.waitForFunction(
      ([type, count]) =>
        ((globalThis as unknown as RecordingWindow).__reproEvents ?? []).filter(
          (e) => e.type === type,
        ).length >= count,
      [type, count] as const,
      { polling: 50, timeout: 5_000 },
    );
  }

  /** The whole recording, once rrweb has stopped adding to it (mutations are emitted async). */
  async function recording(page: Page): Promise<RecordedEvent[]> {
    const length = () =>
      page.evaluate(() => (globalThis as unknown as RecordingWindow).__reproEvents?.length ?? 0);
    const deadline = Date.now() + 5_000;
    let last = await length();
    let quietSince = Date.now();
    while (Date.now() - quietSince < QUIET_MS && Date.now() < deadline) {
      await sleep(50);
      const now = await length();
      if (now !== last) [last, quietSince] = [now, Date.now()];
    }
    return page.evaluate(() => (globalThis as unknown as RecordingWindow).__reproEvents ?? []);
  }

  /** Analyses as the intake does: the report carries the client's user agent, viewport, locale. */
  async function analyze(page: Page, events: RecordedEvent[]): Promise<RecordingAnalysis> {
    const client = await page.evaluate(() => {
      const win = globalThis as unknown as RecordingWindow;
      return {
        userAgent: win.navigator.userAgent,
        viewport: { width: win.innerWidth, height: win.innerHeight },
        locale: win.navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      };
    });
    return analyzeRecording(events, client);
  }

  /** ms from the start of the recording, as the analyzer counts. */
  function tOf(events: RecordedEvent[], match: (e: RecordedEvent) => boolean, nth = 0): number {
    const found = events.filter(match)[nth];
    if (!found) throw new Error(`no event #${nth} matching ${match.toString()}`);
    return found.timestamp - events[0].timestamp;
  }

  const isClick = (e: RecordedEvent) =>
    e.type === EventType.Incremental &&
    e.data.source === MOUSE_INTERACTION &&
    e.data.type === CLICK;
  const isNetwork = (e: RecordedEvent) =>
    e.type === EventType.Custom && e.data.tag === 'repro/network';
  const isConsoleError = (e: RecordedEvent) =>
    e.type === EventType.Plugin && e.data.payload?.level === 'error';

  it('describes the browser, viewport, locale and time zone the session ran in', async () => {
    const page = await open('/billing');
    const events = await recording(page);
    const analysis = await analyze(page, events);
    const major = browser.version().split('.')[0];
    expect(analysis.environment).toEqual({
      userAgent: expect.stringContaining(`HeadlessChrome/${major}.`),
      // ua-parser-js 1.x names headless Chromium this way.
      browser: 'Chrome Headless',
      browserVersion: `${major}.0.0.0`,
      os: 'Linux',
      osVersion: null,
      device: 'desktop',
      viewport: { width: 1280, height: 800 },
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    });
    // The recording itself knows the viewport when the report does not say.
    expect(analyzeRecording(events).environment.viewport).toEqual({ width: 1280, height: 800 });
    expect(analysis.uninterpreted).toEqual([]);
  });

  it('follows a single-page app through pushState links and the back button', async () => {
    const page = await open('/settings');
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { name: 'Billing' }).waitFor();
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team' }).waitFor();
    await page.goBack();
    await page.getByRole('button', { name: 'Download invoice' }).click();
    await page.getByText('Could not download the invoice.').waitFor();
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const origin = server.origin;
    expect(texts(analysis)).toEqual([
      `Opened ${origin}/settings`,
      'Clicked link "Billing" (→ /settings/billing)',
      'Clicked link "Team" (→ /settings/team)',
      'Navigated to /settings/billing',
      'Clicked button "Download invoice"',
    ]);
    expect(analysis.steps.map((s) => s.url)).toEqual([
      `${origin}/settings`,
      `${origin}/settings`,
      `${origin}/settings/billing`,
      `${origin}/settings/billing`,
      `${origin}/settings/billing`,
    ]);
    const requestT = tOf(events, isNetwork);
    expect(analysis.failedRequests).toEqual([
      {
        t: requestT,
        method: 'GET',
        url: `${origin}/api/invoices/latest`,
        status: 404,
        durationMs: expect.any(Number),
      },
    ]);
    expect(analysis.errors).toEqual([
      expect.objectContaining({
        message: 'Invoice download failed with status 404',
        uncaught: false,
        url: `${origin}/settings/billing`,
      }),
    ]);
    // The page logs in the millisecond the response lands; only the moment and page are pinned.
    expect(analysis.failure).toMatchObject({ t: requestT, url: `${origin}/settings/billing` });
    expect(analysis.signals).toEqual([]);
    expect(server.requests).toContainEqual({
      method: 'GET',
      url: '/api/invoices/latest?download=1&session=abc',
    });
    expect(JSON.stringify(analysis)).not.toContain('session=abc');
  });

  it('lists a failed save with its console error, and marks the moment it failed', async () => {
    const page = await open('/billing');
    await page.getByLabel('Company name').click();
    await page.keyboard.type('Acme');
    await page.getByLabel('Card number').click();
    await page.keyboard.type('5555 4444 3333 1111');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Something went wrong. Try again.').waitFor();
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const origin = server.origin;
    // maskAllInputs: the analyzer never sees what was typed, so it cannot echo it.
    expect(texts(analysis)).toEqual([
      `Opened ${origin}/billing`,
      'Typed into "Company name"',
      'Typed into "Card number"',
      'Clicked button "Save changes"',
    ]);
    const requestT = tOf(events, isNetwork);
    expect(analysis.failedRequests).toEqual([
      {
        t: requestT,
        method: 'POST',
        url: `${origin}/api/billing`,
        status: 500,
        durationMs: expect.any(Number),
      },
    ]);
    // The fake backend takes 40 ms to fail.
    expect(analysis.failedRequests[0].durationMs).toBeGreaterThanOrEqual(35);
    expect(server.requests).toContainEqual({ method: 'POST', url: '/api/billing?session=abc' });
    expect(JSON.stringify(analysis)).not.toContain('session=abc');
    expect(analysis.errors).toEqual([
      {
        t: tOf(events, isConsoleError),
        level: 'error',
        message: 'Saving billing details failed: 500 Internal Server Error',
        uncaught: false,
        stack: [
          expect.stringMatching(/^HTMLFormElement\.<anonymous> \(http:.*\/billing:\d+:\d+\)$/),
        ],
        url: `${origin}/billing`,
      },
    ]);
    expect(analysis.failure).toMatchObject({ t: requestT, url: `${origin}/billing` });
    expect(analysis.steps.at(-1)!.t).toBe(tOf(events, isClick, 2));
    expect(analysis.steps.at(-1)!.t).toBeLessThan(requestT);
    expect(analysis.uninterpreted).toEqual([]);
  });

  it('flags five quick clicks on a button that does nothing as a rage click', async () => {
    const page = await open('/playground');
    const coupon = page.getByRole('button', { name: 'Apply coupon' });
    for (let i = 0; i < 5; i++) await coupon.click();
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const clicks = events.filter(isClick);
    expect(clicks).toHaveLength(5);
    expect(clicks[4].timestamp - clicks[0].timestamp).toBeLessThan(1_000);
    expect(analysis.signals.filter((s) => s.kind === 'rage_click')).toEqual([
      {
        kind: 'rage_click',
        t: tOf(events, isClick),
        target: 'button "Apply coupon"',
        text: expect.stringMatching(/^Clicked button "Apply coupon" 5 times within 0\.\d s$/),
        count: 5,
      },
    ]);
    expect(analysis.steps.at(-1)).toMatchObject({
      text: 'Clicked button "Apply coupon" 5 times',
      count: 5,
    });
  });

  it('flags a click that changed nothing as dead, not the ones the page or the network answered', async () => {
    const page = await open('/playground');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await page.waitForTimeout(DEAD_CLICK_WAIT_MS);
    await page.getByRole('button', { name: 'Show details' }).click();
    await page.getByText('Order #1042').waitFor();
    await page.getByRole('button', { name: 'Check status' }).click();
    await waitForEvents(page, EventType.Custom, 2);
    await page.waitForTimeout(DEAD_CLICK_WAIT_MS);
    await page.getByRole('button', { name: 'Show details' }).click();
    await page.getByText('Order #1042').waitFor({ state: 'hidden' });
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const exportT = tOf(events, isClick);
    expect(analysis.signals).toEqual([
      {
        kind: 'dead_click',
        t: exportT,
        target: 'button "Export CSV"',
        text: 'Clicked button "Export CSV"; nothing changed on the page or the network for 1.5 s',
        count: 1,
      },
    ]);
    // Every click is on the timeline, the three answered ones long enough ago to have been judged.
    expect(analysis.timeline.filter((e) => e.kind === 'click').map((e) => e.text)).toEqual([
      'Clicked button "Export CSV"',
      'Clicked button "Show details"',
      'Clicked button "Check status"',
      'Clicked button "Show details"',
    ]);
    expect(analysis.stats.ms - tOf(events, isClick, 2)).toBeGreaterThan(1_500);
    expect(analysis.failure).toMatchObject({ t: exportT, reason: 'signal' });
  });

  it('reports uncaught errors and unhandled rejections with stacks, failing at the first after the last click', async () => {
    const page = await open('/playground');
    await page.getByRole('button', { name: 'Open invoice' }).click();
    await page.getByRole('button', { name: 'Load report' }).click();
    await waitForEvents(page, EventType.Plugin, 3);
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const url = `${server.origin}/playground`;
    const frame = (fn: string) =>
      expect.stringMatching(
        new RegExp(`^${fn} \\(http://127\\.0\\.0\\.1:\\d+/playground:\\d+:\\d+\\)$`),
      );
    expect(analysis.errors).toEqual([
      {
        t: tOf(events, isConsoleError, 0),
        level: 'error',
        message: "Uncaught TypeError: Cannot read properties of undefined (reading 'total')",
        uncaught: true,
        stack: [frame('HTMLButtonElement\\.openInvoice')],
        url,
      },
      {
        t: tOf(events, isConsoleError, 1),
        level: 'error',
        message: 'Uncaught (in promise) Error: Report service unavailable',
        uncaught: true,
        stack: [frame('HTMLButtonElement\\.loadReport')],
        url,
      },
      {
        t: tOf(events, isConsoleError, 2),
        level: 'error',
        message: 'Uncaught TypeError: report.rows is not iterable',
        uncaught: true,
        stack: [frame('renderReport')],
        url,
      },
    ]);
    expect(analysis.failure).toEqual({
      t: tOf(events, isConsoleError, 1),
      url,
      reason: 'error',
      text: 'Uncaught (in promise) Error: Report service unavailable',
    });
    expect(texts(analysis)).toEqual([
      `Opened ${url}`,
      'Clicked button "Open invoice"',
      'Clicked button "Load report"',
    ]);
    expect(analysis.signals).toEqual([
      expect.objectContaining({ kind: 'error_burst', t: tOf(events, isConsoleError), count: 3 }),
    ]);
  });

  it('notices a reload mid-session and keeps the events of both page loads', async () => {
    const page = await open('/playground');
    await page.getByRole('button', { name: 'Show details' }).click();
    await page.getByText('Order #1042').waitFor();
    await page.reload();
    await waitForEvents(page, EventType.FullSnapshot, 2);
    await page.getByRole('button', { name: 'Show details' }).click();
    await page.getByText('Order #1042').waitFor();
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const url = `${server.origin}/playground`;
    const metas = events.filter((e) => e.type === EventType.Meta);
    expect(metas.map((e) => e.data.href)).toEqual([url, url]);
    const reloadT = tOf(events, (e) => e.type === EventType.Meta, 1);
    expect(analysis.signals).toEqual([
      { kind: 'reload', t: reloadT, target: url, text: `Reloaded ${url}` },
    ]);
    expect(texts(analysis).slice(0, 3)).toEqual([
      `Opened ${url}`,
      'Clicked button "Show details"',
      'Reloaded the page',
    ]);
    expect(analysis.steps[2].t).toBe(reloadT);
    // The click after the reload is read on the reloaded page's snapshot.
    const clicks = analysis.timeline.filter((e) => e.kind === 'click');
    expect(clicks.map((e) => [e.text, e.t > reloadT])).toEqual([
      ['Clicked button "Show details"', false],
      ['Clicked button "Show details"', true],
    ]);
    expect(analysis.uninterpreted).toEqual([]);
  });

  it('never lets a typed card number out: rrweb masks it and the analysis cannot show it', async () => {
    const page = await open('/billing');
    await page.getByLabel('Card number').click();
    await page.keyboard.type('4242 4242 4242 4242');
    await page.keyboard.press('Tab');
    const events = await recording(page);
    const analysis = await analyze(page, events);

    const typed = events.filter((e) => e.type === EventType.Incremental && e.data.source === INPUT);
    expect(typed.length).toBeGreaterThan(0);
    expect(typed.every((e) => /^\*+$/.test(e.data.text ?? ''))).toBe(true);
    expect(typed.at(-1)!.data.text).toBe('*'.repeat('4242 4242 4242 4242'.length));
    // Numbers left out: timestamps and mouse coordinates can hold "4242" by chance.
    const strings = JSON.stringify(events, (_key, value: unknown) =>
      typeof value === 'number' ? undefined : value,
    );
    expect(strings).not.toContain('4242');

    expect(texts(analysis)).toEqual([
      `Opened ${server.origin}/billing`,
      'Typed into "Card number"',
    ]);
    expect(JSON.stringify(analysis)).not.toContain('4242');
  });
});

describe('recording analysis of the real-world rrweb fixtures', () => {
  /** Every recording in the fixtures folder: one per .events.json, one per .jsonl line. */
  function fixtureRecordings(): [string, unknown[]][] {
    return readdirSync(FIXTURES)
      .sort()
      .flatMap((file): [string, unknown[]][] => {
        const text = readFileSync(path.join(FIXTURES, file), 'utf8');
        if (file.endsWith('.events.json')) return [[file, JSON.parse(text)]];
        if (!file.endsWith('.jsonl')) return [];
        return text
          .split('\n')
          .filter((line) => line.trim())
          .map((line, i) => [`${file} line ${i + 1}`, JSON.parse(line).data]);
      });
  }
  const recordings = fixtureRecordings();

  it('finds the four recordings', () => {
    expect(recordings.map(([name]) => name)).toEqual([
      'posthog-recording-window1.events.json',
      'posthog-recording-window2.events.json',
      'posthog-recording_snapshots.jsonl line 1',
      'posthog-recording_snapshots.jsonl line 2',
    ]);
  });

  it.each(recordings)('analyses %s completely', (_name, events) => {
    const analysis = analyzeRecording(events);
    expect(analysis.uninterpreted).toEqual([]);
    expect(analysis.startUrl).toBe('http://localhost:3000/');
    expect(analysis.steps[0]).toMatchObject({ n: 1, t: 0, text: 'Opened http://localhost:3000/' });
    expect(analysis.stats).toMatchObject({ events: events.length });
    expect(analysis.errors).toEqual([]);
    expect(analysis.failedRequests).toEqual([]);
    expect(analysis.failure).not.toBeNull();
  });

  it('reads window 1 as rage clicks on "Capture event", then a window resize', () => {
    const analysis = analyzeRecording(recordings[0][1]);
    expect(analysis.signals).toEqual([
      {
        kind: 'rage_click',
        t: 3_436,
        target: 'button "Capture event"',
        text: 'Clicked button "Capture event" 4 times within 0.5 s',
        count: 4,
      },
      {
        kind: 'viewport',
        t: 4_861,
        target: '2560×476',
        text: 'Viewport changed from 2560×1304 to 2560×476',
      },
    ]);
    expect(texts(analysis)).toContain('Clicked button "Capture event" 4 times');
    expect(analysis.environment.viewport).toEqual({ width: 2560, height: 476 });
  });

  it('reads window 2 as repeated clicks on "Autocapture buttons" that nothing answered', () => {
    const analysis = analyzeRecording(recordings[1][1]);
    expect(analysis.signals).toEqual([
      expect.objectContaining({
        kind: 'rage_click',
        t: 1_694,
        target: 'button "Autocapture buttons"',
        count: 3,
      }),
      expect.objectContaining({
        kind: 'dead_click',
        t: 1_694,
        target: 'button "Autocapture buttons"',
        count: 3,
      }),
    ]);
    expect(texts(analysis)).toEqual([
      'Opened http://localhost:3000/',
      'Clicked button "Autocapture buttons" 3 times',
    ]);
  });

  it('reads each .jsonl window exactly as its stand-alone events file', () => {
    expect(analyzeRecording(recordings[2][1])).toEqual(analyzeRecording(recordings[0][1]));
    expect(analyzeRecording(recordings[3][1])).toEqual(analyzeRecording(recordings[1][1]));
  });
});

function texts(analysis: RecordingAnalysis): string[] {
  return analysis.steps.map((s) => s.text);
}
