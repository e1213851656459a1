import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { CHROMIUM, buildWidget } from '../support/browser';

const SHOTS = '/tmp/shots/demo';
const CARD = '4929 1234 5678 9012';

/**
 * The quick start's last step: `npm start`, open /demo, report a bug. The real widget build,
 * served by Repro, in Chromium, on the demo app's page (strict CSP), through the API and the
 * worker to a ticket in the built-in tracker.
 */
describe('the demo app at /demo', () => {
  let h: Harness;
  let app: RunningApp;
  let browser: Browser;
  let widgetDir: string;
  const auth = () => ({ Authorization: `Bearer ${app.firstKey!.key}` });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    widgetDir = await mkdtemp(join(tmpdir(), 'repro-demo-widget-'));
    buildWidget(widgetDir);
    h = await createHarness({ WIDGET_DIR: widgetDir });
    app = await h.start('all');
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await rm(widgetDir, { recursive: true, force: true });
  });

  async function open(width: number, height: number): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    const problems: string[] = [];
    // Every CSP violation, with where it came from (the demo's own bugs are expected errors).
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
      console.log('CSP violation: ' + e.violatedDirective + ' by ' + e.sourceFile + ':' +
        e.lineNumber + ':' + e.columnNumber + ' ' + e.sample))`);
    page.on('console', (m) => {
      if (m.text().startsWith('CSP violation')) problems.push(m.text());
    });
    await page.goto(`${app.url}/demo`);
    await page.getByRole('button', { name: 'Report a bug' }).waitFor();
    return { page, problems };
  }

  it('serves the app with a strict Content-Security-Policy and the default project widget key', async () => {
    const res = await request(app.url).get('/demo').expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    const [{ widget_key: key }] = await h.db.query<{ widget_key: string }[]>(
      `SELECT widget_key FROM projects WHERE slug = 'default'`,
    );
    expect(res.text).toContain(`data-repro-key="${key}"`);
    expect(res.text).toContain('src="/widget.js"');
    // Deliberate bug one.
    await request(app.url).post('/demo/api/export').expect(500);
  });

  it('a bug reproduced on the demo page and reported with the widget becomes a ticket with the evidence', async () => {
    const { page, problems } = await open(1280, 800);
    const sent: string[] = [];
    page.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''}`));
    await page.screenshot({ caret: 'initial', path: join(SHOTS, 'demo-desktop.png') });

    // Deliberate bug two, with a card number typed on the way.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Card number').fill(CARD);
    await page.getByRole('button', { name: 'Save' }).click();
    // Deliberate bug one.
    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await page.getByText('Preparing your export…').waitFor();
    await page.waitForTimeout(1_500);

    await page.getByRole('button', { name: 'Report a bug' }).click();
    await page
      .getByLabel('What happened?')
      .fill('Export CSV keeps spinning and no file ever downloads');
    await page.getByLabel('Your email').fill('ana@acme.example');
    await page.screenshot({ caret: 'initial', path: join(SHOTS, 'demo-widget-open-desktop.png') });
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText('Thanks, your report was sent.').waitFor({ timeout: 20_000 });
    await page.screenshot({ caret: 'initial', path: join(SHOTS, 'demo-widget-sent-desktop.png') });
    expect(problems).toEqual([]);

    const { id } = await waitFor(
      async () =>
        (
          await h.db.query<{ id: string; status: string }[]>(
            `SELECT r.id, r.status FROM reports r JOIN projects p ON p.id = r.project_id
             WHERE p.slug = 'default' AND r.source = 'widget'`,
          )
        ).find((r) => r.status === 'filed'),
      { timeoutMs: 60_000, what: 'the demo report to be filed' },
    );
    const view = await request(app.url).get(`/v1/reports/${id}`).set(auth()).expect(200);
    const ticket = await request(app.url)
      .get(`/v1/tickets/${view.body.ticket.key as string}`)
      .set(auth())
      .expect(200);
    const body = ticket.body.body as string;
    expect(body).toContain('Export CSV keeps spinning');
    // Both deliberate bugs, as the recording shows them.
    expect(body).toMatch(/`POST http:\/\/[^`]+\/demo\/api\/export` → 500/);
    expect(body).toContain('Export failed: The export worker ran out of memory');
    expect(body).toContain('Uncaught TypeError: Cannot set properties of undefined');
    expect(body).toContain('Clicked button "Export CSV"');
    expect(body).toContain('Typed into "Card number"');
    expect(body).toMatch(/- Replay at the moment of failure \([\d:.]+\): http\S+\/replay\//);
    // The request's query string (its token) stayed in the browser.
    expect(body).not.toContain('demo-secret-123');

    // The card number left the browser in no request and is nowhere in the database.
    const digits = CARD.replace(/\s/g, '');
    expect(sent.some((s) => s.includes(digits) || s.includes(CARD))).toBe(false);
    const chunks = await h.db.query<{ data_gz: Buffer }[]>(
      `SELECT c.data_gz FROM recording_chunks c
       JOIN recordings r ON r.session_id = c.session_id
       WHERE r.report_id = $1 ORDER BY c.seq`,
      [id],
    );
    expect(chunks.length).toBeGreaterThan(0);
    const recorded = chunks.map((c) => gunzipSync(c.data_gz).toString('utf8')).join('');
    expect(recorded).toContain('Export CSV');
    expect(recorded).not.toContain(digits);
    expect(recorded).not.toContain(CARD);
    const [{ rows }] = await h.db.query<{ rows: number }[]>(
      `SELECT ((SELECT count(*) FROM reports WHERE description LIKE $1)
             + (SELECT count(*) FROM report_messages WHERE body LIKE $1))::int AS rows`,
      [`%${digits.slice(0, 8)}%`],
    );
    expect(rows).toBe(0);
    await page.close();
  });

  it('fits a phone screen', async () => {
    const { page, problems } = await open(390, 844);
    await page.screenshot({ caret: 'initial', path: join(SHOTS, 'demo-phone.png') });
    await page.getByRole('button', { name: 'Report a bug' }).click();
    await page.getByLabel('What happened?').waitFor();
    await page.screenshot({ caret: 'initial', path: join(SHOTS, 'demo-widget-open-phone.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});
