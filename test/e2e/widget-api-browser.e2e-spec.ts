import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { CHROMIUM, buildWidget } from '../support/browser';

const SHOTS = '/tmp/shots/widget-api';

interface PageWindow {
  Repro?: { report(input: { description: string; email?: string }): Promise<{ id: string }> };
}

/** A customer's app on its own origin, with the widget installed from Repro by its script tag. */
async function hostApp(scriptTag: () => string): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html lang="en"><head><title>Acme</title></head><body><h1>Acme billing</h1>${scriptTag()}</body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * The real widget build, served by Repro, in real Chromium, from pages on other origins: the
 * browser's own CORS rules decide, not a test's reading of the headers.
 */
describe('the widget API from a browser on another origin', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let browser: Browser;
  let widgetDir: string;
  let allowed: { origin: string; server: Server };
  let refused: { origin: string; server: Server };
  const tag = () =>
    `<script src="${app.url}/widget.js" data-repro-key="${acme.project.widgetKey}" data-repro-poll-ms="500" async></script>`;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    widgetDir = await mkdtemp(join(tmpdir(), 'repro-widget-build-'));
    buildWidget(widgetDir);
    // The agent's real defaults, so that it asks the reporter questions.
    h = await createHarness({
      WIDGET_DIR: widgetDir,
      AGENT_MAX_QUESTIONS: '3',
      AGENT_AUTO_FILE_THRESHOLD: '0.5',
      AGENT_APPROVAL_SEVERITIES: 'urgent',
    });
    app = await h.start('all');
    acme = await createProject(h.db);
    allowed = await hostApp(tag);
    refused = await hostApp(tag);
    await new ProjectsService(h.db).updateWidgetSettings(acme.project.slug, {
      allowedOrigins: [allowed.origin],
    });
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    allowed?.server.close();
    refused?.server.close();
    await h?.close();
    await rm(widgetDir, { recursive: true, force: true });
  });

  async function open(origin: string, width = 1280, height = 800): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => Boolean((globalThis as unknown as PageWindow).Repro));
    return page;
  }

  it('serves the built script whose manifest version and integrity match what it serves', async () => {
    const manifest = JSON.parse(await readFile(join(widgetDir, 'manifest.json'), 'utf8')) as {
      version: string;
      integrity: string;
    };
    const pinned = await request(app.url).get(`/widget/${manifest.version}.js`).expect(200);
    const { createHash } = await import('node:crypto');
    expect(`sha384-${createHash('sha384').update(pinned.text).digest('base64')}`).toBe(
      manifest.integrity,
    );
    expect(pinned.headers['cache-control']).toContain('immutable');
  });

  it('takes a report sent by the widget from an allowed origin (source widget)', async () => {
    const page = await open(allowed.origin);
    await page.screenshot({ path: join(SHOTS, 'allowed-origin-desktop.png') });
    const created = await page.evaluate(() =>
      (globalThis as unknown as Required<PageWindow>).Repro.report({
        description: 'The invoice total shows NaN after changing the currency',
        email: 'ana@acme.example',
      }),
    );
    const stored = await waitFor(() => h.db.getRepository(Report).findOneBy({ id: created.id }), {
      what: 'the report to be stored',
    });
    expect(stored).toMatchObject({ source: 'widget', projectId: acme.project.id });
    expect(stored.pageUrl).toBe(`${allowed.origin}/`);
    const phone = await open(allowed.origin, 390, 844);
    await phone.screenshot({ path: join(SHOTS, 'allowed-origin-phone.png') });
    await phone.close();
    await page.close();
  });

  it("carries the agent's question to the customer in the widget and the answer back, across a reload, until it is filed", async () => {
    const page = await open(allowed.origin);
    const widget = page.locator('[data-repro-widget]');
    await widget.getByRole('button', { name: 'Report a bug' }).click();
    await widget.getByLabel('What happened?').fill('profile is broken');
    await widget.getByLabel('Your email').fill('ana@acme.example');
    await widget.getByRole('button', { name: 'Send', exact: true }).click();
    await widget.getByText('We have a question').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'question-desktop.png') });
    const report = await h.db
      .getRepository(Report)
      .findOneByOrFail({ description: 'profile is broken' });
    expect(report).toMatchObject({ source: 'widget', status: 'clarifying' });

    // A reload loses nothing: the question is still there to answer.
    await page.reload();
    await page.waitForFunction(() => Boolean((globalThis as unknown as PageWindow).Repro));
    const answer = page.getByLabel('Your answer');
    if (!(await answer.isVisible()))
      await page.getByRole('button', { name: 'Report a bug' }).click();
    await answer.fill(
      'Steps: open Settings > Profile, choose a new avatar, press Save profile. Expected: the avatar is saved and shown. Actual: "Something went wrong" and the old avatar stays. It happens every time, in Chrome.',
    );
    await widget.getByRole('button', { name: 'Send answer' }).click();
    await widget.getByText(/We’ve filed this/).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'filed-desktop.png') });
    const filed = await h.db.getRepository(Report).findOneByOrFail({ id: report.id });
    expect(filed.status).toBe('filed');
    await page.close();
  });

  it('refuses the widget on a page whose origin the project does not allow: the browser sees no report go through', async () => {
    const page = await open(refused.origin);
    const outcome = await page.evaluate(() =>
      (globalThis as unknown as Required<PageWindow>).Repro.report({
        description: 'Sent from a page that is not allowed',
        email: 'eve@evil.example',
      }).then(
        () => 'sent',
        (error: { code?: string }) => `refused ${error.code ?? ''}`,
      ),
    );
    expect(outcome).toMatch(/^refused/);
    expect(
      await h.db
        .getRepository(Report)
        .countBy({ description: 'Sent from a page that is not allowed' }),
    ).toBe(0);
    await page.close();
  });

  it('lets the page read the status and code of a body refused before it was parsed, and of an unknown route', async () => {
    const page = await open(allowed.origin);
    const base = `${app.url}/v1/widget/${acme.project.widgetKey}`;
    const answers = await page.evaluate(async (widget) => {
      const attempts: [string, string, RequestInit][] = [
        // A "simple" request: the browser sends it without a preflight.
        ['text/plain', '/reports', { headers: { 'Content-Type': 'text/plain' }, body: 'hi' }],
        [
          'malformed JSON',
          '/reports',
          { headers: { 'Content-Type': 'application/json' }, body: '{"description":' },
        ],
        ['unknown route', '/nothing-here', { headers: { 'Content-Type': 'application/json' } }],
      ];
      const out: string[] = [];
      for (const [name, path, init] of attempts) {
        try {
          const res = await fetch(`${widget}${path}`, { method: 'POST', ...init });
          const body = (await res.json()) as { error?: { code: string } };
          out.push(`${name}: ${res.status} ${body.error?.code ?? '-'}`);
        } catch (error) {
          out.push(`${name}: unreadable (${String(error)})`);
        }
      }
      return out;
    }, base);
    expect(answers).toEqual([
      'text/plain: 415 UNSUPPORTED_MEDIA_TYPE',
      'malformed JSON: 400 MALFORMED_JSON',
      'unknown route: 404 NOT_FOUND',
    ]);
    await page.close();
  });

  it('lets a page with a stale widget key read the 401 (after a preflight), so it is not retried as a network failure', async () => {
    const page = await open(allowed.origin);
    const answer = await page.evaluate(async (url) => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
          body: JSON.stringify({ description: 'sent with a rotated key' }),
        });
        const body = (await res.json()) as { error?: { code: string } };
        return `${res.status} ${body.error?.code ?? '-'}`;
      } catch (error) {
        return `unreadable (${String(error)})`;
      }
    }, `${app.url}/v1/widget/pk_rotatedRotatedRotated/reports`);
    expect(answer).toBe('401 UNAUTHORIZED');
    await page.close();
  });

  it("lets the page read a 429's Retry-After and code across origins", async () => {
    const limited = await h.start('api', { RATE_LIMIT_PER_WIDGET_KEY_PER_MINUTE: 1 });
    const initech = await createProject(h.db, 'Initech');
    await new ProjectsService(h.db).updateWidgetSettings(initech.project.slug, {
      allowedOrigins: [allowed.origin],
    });
    const page = await open(allowed.origin);
    const url = `${limited.url}/v1/widget/${initech.project.widgetKey}/reports`;
    const answers = await page.evaluate(async (target) => {
      const out: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
          body: JSON.stringify({ description: `attempt ${i}` }),
        });
        const body = (await res.json()) as { error?: { code: string } };
        out.push(
          `${res.status} ${body.error?.code ?? '-'} ${res.headers.get('Retry-After') ?? '-'}`,
        );
      }
      return out;
    }, url);
    expect(answers[0]).toBe('202 - -');
    expect(answers[1]).toMatch(/^429 RATE_LIMITED \d+$/);
    await page.close();
    await limited.close();
  });
});
