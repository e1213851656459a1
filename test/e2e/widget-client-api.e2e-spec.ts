/**
 * The widget's browser script in real Chromium against Repro's real API and worker (harness):
 * a test app on its own origin loads /widget.js from the API, records, reports, and carries on
 * the agent's conversation. Faults are injected only at the browser's network edge
 * (page.route), as an ad blocker or a flaky proxy would.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';
import {
  CARD,
  PASSWORD,
  TestApp,
  type TestWindow,
  tabToLauncher,
  watchRequests,
} from '../fixtures/widget/test-app';
import { CHROMIUM, buildWidget } from '../support/browser';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const SHOTS = '/tmp/shots/widget-client';

/**
 * The agent's real defaults, so that it asks the reporter questions; without the approval of
 * urgent tickets (a failed payment is urgent), so that the report is filed without a person.
 */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'none',
};

describe('widget-client against the real API: from the page to a ticket', () => {
  let h: Harness;
  let api: RunningApp;
  let acme: TestProject;
  let browser: Browser;
  const app = new TestApp();

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'widget', 'manifest.json'))) {
      buildWidget();
    }
    mkdirSync(SHOTS, { recursive: true });
    await app.start();
    h = await createHarness({ ...AGENT_DEFAULTS, WIDGET_DIR: join(ROOT, 'dist', 'widget') });
    api = await h.start('all');
    acme = await createProject(h.db, 'Acme');
    const projects = new ProjectsService(h.db);
    await projects.updateWidgetSettings(acme.project.slug, {
      allowedOrigins: [app.origin],
      showTicketKey: true,
    });
    app.apiOrigin = api.url;
    app.key = acme.project.widgetKey;
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await app.close();
  });

  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  beforeEach(async () => {
    app.csp = null;
    app.attrs = 'data-repro-retry-delays-ms="200,400,800" data-repro-poll-ms="500"';
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterEach(() => context.close());

  const widget = () => page.locator('[data-repro-widget]');
  const launcher = () => widget().getByRole('button', { name: 'Report a bug' });
  const dialog = () => widget().getByRole('dialog');
  const reports = () => h.db.getRepository(Report);

  async function load(path = '/app'): Promise<void> {
    await page.goto(`${app.origin}${path}`);
    await launcher().waitFor();
  }

  async function openAndWrite(description: string, email: string): Promise<void> {
    await launcher().click();
    await dialog().getByLabel('What happened?').fill(description);
    await dialog().getByLabel('Your email').fill(email);
  }

  /** The test database as SQL text: every table, every row. */
  function databaseDump(): string {
    return execFileSync('pg_dump', ['--data-only', h.config.DATABASE_URL], {
      maxBuffer: 256 * 1024 * 1024,
    }).toString('utf8');
  }

  it('a customer whose session shows the failed save is told it was filed, without a question', async () => {
    const bodies = watchRequests(page);
    await load();
    await page.fill('#password', PASSWORD);
    await page.fill('#card', CARD);
    await page.click('#orders-link');
    await page.waitForURL(/\/app\/orders$/);
    await page.click('#save');
    await page.getByText('Something went wrong').waitFor();
    await page.reload();
    await launcher().waitFor();

    // Keyboard only: Tab to the launcher, Enter, type, Tab to the email, Tab Tab, Enter on Send.
    await tabToLauncher(page);
    await page.keyboard.press('Enter');
    await dialog().getByLabel('What happened?').waitFor();
    await page.keyboard.type('billing is broken');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ana@acme.example');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog().getByText('Thanks, your report was sent.').waitFor();

    const stored = await waitFor(
      () => reports().findOneBy({ projectId: acme.project.id, description: 'billing is broken' }),
      { what: 'the report' },
    );
    expect(stored.source).toBe('widget');

    // "billing is broken", and the recording shows Save card clicked and the request failing:
    // what they did and what they expected are in the evidence, so nobody asks.
    await dialog()
      .getByText(/^We’ve filed this as .+\.$/)
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'real-api-filed-unasked-desktop-light.png') });
    const view = await waitForReport(api.url, acme.auth, stored.id, 'filed');
    expect(view.questions).toEqual([]);
    expect(view.triage?.questionsAsked).toBe(0);
    expect(view.triage?.facts.expected).toMatchObject({
      source: 'inferred',
      value: 'Clicking "Save card" completes without an error',
    });
    expect(view.recording).toMatchObject({ analyzed: true });
    const dump = databaseDump();
    // The ticket has the steps from before the report: the failed request and the console error.
    expect(dump).toContain('/api/billing');
    expect(dump).toContain('Payment failed: card declined');
    // The typed secrets are in no request the browser sent and nowhere in the database.
    for (const secret of [PASSWORD, CARD, 's3cr3t-token', 'page-secret']) {
      for (const body of bodies) expect(body).not.toContain(secret);
      expect(dump).not.toContain(secret);
    }
    expect(pageErrors).toEqual([]);
  });

  it('a customer reports what the session cannot show, answers the agent across a reload, and sees "We’ve filed this"', async () => {
    const bodies = watchRequests(page);
    await load();
    await page.fill('#password', PASSWORD);
    await page.click('#orders-link');
    await page.waitForURL(/\/app\/orders$/);
    await openAndWrite('my orders look wrong', 'bo@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    const stored = await waitFor(
      () =>
        reports().findOneBy({ projectId: acme.project.id, description: 'my orders look wrong' }),
      { what: 'the report' },
    );

    // Nothing failed in the session: what exactly is wrong is the customer's to say.
    await dialog().getByText('We have a question').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'real-api-question-desktop-light.png') });
    await page.reload();
    await launcher().click();
    const answer = dialog().getByLabel('Your answer');
    await answer.waitFor();
    await answer.focus();
    await page.keyboard.type(
      'The list shows every order twice since this morning. I expected each order once.',
    );
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog()
      .getByText(/^We’ve filed this as .+\.$/)
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'real-api-filed-desktop-light.png') });

    const view = await waitForReport(api.url, acme.auth, stored.id, 'filed');
    expect(view.triage?.questionsAsked).toBeGreaterThan(0);
    expect(view.triage?.facts.expected?.value).toMatch(/each order once/);
    expect(view.triage?.facts.actual?.value).toMatch(/every order twice/);
    expect(view.recording).toMatchObject({ analyzed: true });
    // The ticket has the customer's path from the recording.
    expect(databaseDump()).toContain('/app/orders');
    for (const body of bodies) expect(body).not.toContain(PASSWORD);
    expect(pageErrors).toEqual([]);
  });

  it('offline, then online: one report', async () => {
    await load();
    await context.setOffline(true);
    await openAndWrite(
      'Offline report from the widget: the export button does nothing',
      'o@acme.example',
    );
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('You’re offline').waitFor();
    await context.setOffline(false);
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    await page.reload();
    await launcher().waitFor();
    await page.waitForTimeout(1_000);
    expect(
      await reports().countBy({
        description: 'Offline report from the widget: the export button does nothing',
      }),
    ).toBe(1);
  });

  it('the server failing twice, then answering: one report', async () => {
    await load();
    let failures = 0;
    await page.route(`${api.url}/v1/widget/*/reports`, async (route) => {
      if (route.request().method() !== 'POST' || failures >= 2) return route.continue();
      failures++;
      await route.fulfill({
        status: 503,
        headers: {
          'Content-Type': 'application/json',
          'Access-Control-Allow-Origin': app.origin,
          'Retry-After': '1',
          'Access-Control-Expose-Headers': 'Retry-After, Idempotent-Replayed',
        },
        body: JSON.stringify({
          error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'PostgreSQL is unavailable' },
        }),
      });
    });
    await openAndWrite('Flaky proxy report: the export button does nothing', 'f@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    expect(failures).toBe(2);
    expect(
      await reports().countBy({
        description: 'Flaky proxy report: the export button does nothing',
      }),
    ).toBe(1);
  });

  it('a blocked request: an honest error, then a working Retry (one report)', async () => {
    await load();
    const pattern = `${api.url}/v1/widget/*/reports`;
    await page.route(pattern, (route) =>
      route.request().method() === 'POST' ? route.abort('blockedbyclient') : route.continue(),
    );
    await openAndWrite('Blocked report: the export button does nothing', 'b@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByRole('alert').getByText('could not be sent').waitFor();
    expect(await dialog().getByText('Thanks').count()).toBe(0);
    await page.unroute(pattern);
    await dialog().getByRole('button', { name: 'Retry' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    expect(
      await reports().countBy({ description: 'Blocked report: the export button does nothing' }),
    ).toBe(1);
  });

  it('a page with a strict CSP works with script-src and connect-src for Repro’s origin', async () => {
    app.csp = [
      "default-src 'self'",
      `script-src 'self' ${api.url}`,
      `connect-src 'self' ${api.url}`,
      "style-src 'self'",
    ].join('; ');
    await load();
    await openAndWrite('CSP report: the export button does nothing', 'c@acme.example');
    await dialog().getByRole('button', { name: 'Send' }).click();
    await dialog().getByText('Thanks, your report was sent.').waitFor();
    expect(
      await reports().countBy({ description: 'CSP report: the export button does nothing' }),
    ).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as TestWindow).__violations)).toEqual(
      [],
    );
    expect(pageErrors).toEqual([]);
  });
});
