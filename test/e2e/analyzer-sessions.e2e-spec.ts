/**
 * The analyzer on sessions recorded in real Chromium with rrweb's own recorder, the way the
 * widget records them: SPA navigations, reloads, window resizes, two tabs, a failing request.
 * Pages and recorder: test/bench/heavy-pages.ts and test/bench/heavy-recorder.ts.
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { analyzeRecording } from '../../src/modules/recordings/analyzer/analyzer';
import { analysisMarkdown } from '../../src/modules/recordings/analyzer/markdown';
import type { RecordingAnalysis } from '../../src/modules/recordings/analyzer/types';
import { SPA } from '../bench/heavy-pages';
import { heavySite } from '../bench/heavy-sessions';
import { CHROMIUM, ORIGIN, type Recorder, recordContext } from '../bench/heavy-recorder';

const SHOTS = '/tmp/shots/analyzer';

const texts = (analysis: RecordingAnalysis) => analysis.steps.map((s) => s.text);

function expectTimeOrder(analysis: RecordingAnalysis): void {
  const times = analysis.steps.map((s) => s.t);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

describe('the analyzer on real browser sessions', () => {
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    browser = await chromium.launch(CHROMIUM);
    mkdirSync(SHOTS, { recursive: true });
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function session(
    navigationEvents = true,
  ): Promise<{ page: Page; recorder: Recorder; context: BrowserContext }> {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const recorder = await recordContext(context, { site: SPA, navigationEvents });
    const page = await context.newPage();
    await page.goto(`${ORIGIN}/app`);
    await page.getByRole('heading', { name: 'Home' }).waitFor();
    return { page, recorder, context };
  }

  async function analyse(recorder: Recorder): Promise<RecordingAnalysis> {
    await recorder.settle();
    return analyzeRecording(recorder.events, { bytes: recorder.bytes });
  }

  it('lists a window resize when it happened, from the real previous size, and finds no failure where nothing failed', async () => {
    const { page, recorder } = await session();
    await page.waitForTimeout(1_000);
    await page.setViewportSize({ width: 800, height: 600 });
    await page.waitForTimeout(1_300);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForTimeout(500);
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(700);
    await page.getByLabel('Filter').pressSequentially('inv', { delay: 50 });
    await page.screenshot({ path: `${SHOTS}/settings-800.png` });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved').waitFor();
    const analysis = await analyse(recorder);

    expect(texts(analysis)).toEqual([
      `Opened ${ORIGIN}/app`,
      'Resized the window to 800×600',
      'Clicked link "Settings" (→ /app/settings)',
      'Scrolled down the page',
      'Typed into "Filter"',
      'Clicked button "Save"',
    ]);
    expectTimeOrder(analysis);
    expect(analysis.steps[1].t).toBeGreaterThanOrEqual(900);
    expect(analysis.steps[1].t).toBeLessThan(analysis.steps[2].t);
    expect(analysis.signals.filter((s) => s.kind === 'viewport').map((s) => s.text)).toEqual([
      'Viewport changed from 1280×800 to 800×600',
    ]);
    expect(analysis.environment.viewport).toEqual({ width: 800, height: 600 });
    expect(analysis.failure).toBeNull();
    expect(analysisMarkdown(analysis)).toContain('## Moment of failure\n\nNone');
  });

  it('reads a reload after an SPA navigation as a reload, with the navigation events the widget sends', async () => {
    const { page, recorder } = await session();
    // The app's router calls the browser's own pushState: no navigation event for this one.
    await page.getByRole('button', { name: 'Open reports' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    await page.getByLabel('Report name').fill('Q3');
    await page.waitForTimeout(300);
    await page.reload();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/reports-reloaded.png` });
    await page.getByLabel('Report name').fill('Q4');
    await page.getByRole('heading', { name: 'Reports' }).click();
    const analysis = await analyse(recorder);

    expect(texts(analysis)).toEqual([
      `Opened ${ORIGIN}/app`,
      'Clicked button "Open reports"',
      'Typed into "Report name"',
      'Reloaded the page',
      'Typed into "Report name"',
      'Clicked "Reports"',
    ]);
    expect(analysis.steps[3].url).toBe(`${ORIGIN}/app/reports`);
    expect(analysis.timeline.filter((e) => e.kind === 'navigation').map((e) => e.text)).toEqual([
      `Opened ${ORIGIN}/app`,
    ]);
    expect(analysis.signals.map((s) => s.kind)).toEqual(['reload']);
    expect(analysis.failure).toBeNull();
  });

  it('reads a reload after an SPA link navigation as a reload, from rrweb events alone', async () => {
    const { page, recorder } = await session(false);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByLabel('Filter').fill('paid');
    await page.waitForTimeout(300);
    await page.reload();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved').waitFor();
    const analysis = await analyse(recorder);

    expect(texts(analysis)).toEqual([
      `Opened ${ORIGIN}/app`,
      'Clicked link "Settings" (→ /app/settings)',
      'Typed into "Filter"',
      'Reloaded the page',
      'Clicked button "Save"',
    ]);
    expect(analysis.steps[3].url).toBe(`${ORIGIN}/app/settings`);
  });

  it('lists the steps of two tabs in the order they happened, each tab recorded on its own', async () => {
    const { page: first, recorder, context: ctx } = await session();
    await first.getByRole('link', { name: 'Settings' }).click();
    await first.getByLabel('Filter').fill('overdue');
    await first.waitForTimeout(400);
    const second = await ctx.newPage();
    await second.goto(`${ORIGIN}/app/reports`);
    await second.getByRole('heading', { name: 'Reports' }).waitFor();
    await second.getByLabel('Report name').fill('Q3');
    await second.waitForTimeout(400);
    await first.bringToFront();
    await first.getByRole('button', { name: 'Save' }).click();
    await first.getByText('Saved').waitFor();
    await second.screenshot({ path: `${SHOTS}/second-tab.png` });
    await recorder.settle();
    // What a report from the first tab carries when the second tab's buffer is appended to it.
    expect(recorder.tabs).toHaveLength(2);
    const analysis = analyzeRecording(recorder.tabs.flat());

    expect(texts(analysis)).toEqual([
      `Opened ${ORIGIN}/app`,
      'Clicked link "Settings" (→ /app/settings)',
      'Typed into "Filter"',
      `Opened ${ORIGIN}/app/reports in another tab`,
      'Typed into "Report name"',
      'Clicked button "Save"',
    ]);
    expectTimeOrder(analysis);
    expect(analysis.uninterpreted).toEqual([]);
    expect(analysis.signals).toEqual([]);
    expect(analysis.failure).toBeNull();
  });

  it('keeps time order on a live 3,000-row table: a scroll, then typing into its Filter, then a sort', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const recorder = await recordContext(context, { site: heavySite, flushMs: 200 });
    const page = await context.newPage();
    await page.goto(`${ORIGIN}/dashboard`);
    await page.waitForTimeout(1_000);
    await page.mouse.move(400, 300);
    await page.mouse.wheel(0, 900);
    await page.waitForTimeout(700);
    await page.locator('#filter').pressSequentially('ompany 2', { delay: 60 });
    await page.waitForTimeout(500);
    await page.mouse.wheel(0, -5_000);
    await page.waitForTimeout(500);
    await page.click('th[data-key="price"]');
    await page.waitForTimeout(2_000);
    await page.screenshot({ path: `${SHOTS}/dashboard-1280.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${SHOTS}/dashboard-390.png` });
    const analysis = await analyse(recorder);

    expect(texts(analysis)).toEqual([
      `Opened ${ORIGIN}/dashboard`,
      'Scrolled down the page',
      'Typed into "Filter"',
      'Scrolled up the page',
      'Clicked "Price"',
      'Resized the window to 390×844',
    ]);
    expectTimeOrder(analysis);
    // Ten table updates a second answer every click: no dead clicks, nothing failed.
    expect(analysis.signals.map((s) => s.kind)).toEqual(['viewport']);
    expect(analysis.failure).toBeNull();
  });

  it('still marks a failed request as the moment of failure', async () => {
    const { page, recorder } = await session();
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Export' }).click();
    await page.getByText('Export failed').waitFor();
    await page.screenshot({ path: `${SHOTS}/reports-390.png` });
    const analysis = await analyse(recorder);

    expect(analysis.failure).toMatchObject({
      reason: 'failed_request',
      text: `POST ${ORIGIN}/api/export → 500`,
      url: `${ORIGIN}/app/reports`,
    });
    expectTimeOrder(analysis);
    expect(texts(analysis).at(-1)).toBe('Clicked button "Export"');
  });
});
