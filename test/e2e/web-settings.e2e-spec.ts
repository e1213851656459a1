/**
 * The web app's settings and scorecard pages in real Chromium against the real API and worker:
 * an admin changes the agent policy, creates an API key (shown once, working, then revoked in
 * the page), allows a widget origin, adds a member (who sees no settings), creates a project
 * and switches to it, and reads the week of a report filed here on the scorecard. axe-core
 * checks both pages; each is saved at desktop and phone widths to /tmp/shots/web-settings/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import type { ProjectSettingsDto } from '../../src/modules/projects/settings/settings.dto';
import { UsersService } from '../../src/modules/users/users.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { CHROMIUM } from '../support/browser';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';
import { DESKTOP, PHONE, buildWebApp, seriousA11yViolations } from '../support/web';

const SHOTS = '/tmp/shots/web-settings';
const ADMIN = 'ines@settings.example';
const ADMIN_PASSWORD = 'a long admin password 42';
const MEMBER = 'milo@settings.example';

/** Monday 00:00 UTC of the week `at` falls in, as the scorecard names weeks. */
function weekStart(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString();
}

describe('the web app: settings and the scorecard', () => {
  let h: Harness;
  let api: RunningApp;
  let project: TestProject;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let reportAt: Date;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    buildWebApp();
    h = await createHarness({ AGENT_AUTO_FILE_THRESHOLD: '0.5' });
    api = await h.start('all');
    project = await createProject(h.db, 'Settings Co');
    const users = new UsersService(h.db, new ProjectsService(h.db), h.config);
    await users.createUser({ email: ADMIN, role: 'admin', password: ADMIN_PASSWORD });

    reportAt = new Date();
    const posted = await request(api.url)
      .post('/v1/reports')
      .set(project.auth)
      .send(
        reportPayload({
          description:
            "Invoices list is empty\n\nSteps:\n1. Open Invoices\n2. Choose March\n\nExpected: last month's invoices.\nActual: an empty list, every time since Monday.",
          page: { url: 'https://app.acme.example/invoices' },
          account: { id: 'acct-small', name: 'Small Shop' },
        }),
      )
      .expect(202);
    await waitForReport(api.url, project.auth, posted.body.id as string, 'filed');

    browser = await chromium.launch(CHROMIUM);
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
    watch(page);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  function watch(p: Page): void {
    p.on('pageerror', (error) => pageErrors.push(error.message));
    p.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }

  async function signIn(p: Page, email: string, password: string): Promise<void> {
    await p.goto(`${api.url}/app`);
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Inbox' }).waitFor();
  }

  /** The viewport at each width, scrolled to `selector` (or the top): what a person sees there. */
  async function shootAt(name: string, selector?: string): Promise<void> {
    mkdirSync(SHOTS, { recursive: true });
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      if (selector) await page.locator(selector).evaluate((el) => el.scrollIntoView());
      else await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`) });
    }
    await page.setViewportSize(DESKTOP);
  }

  const section = (name: string) => page.getByRole('region', { name, exact: true });
  const settingsNow = () =>
    request(api.url)
      .get('/v1/projects/current/settings')
      .set(project.auth)
      .then((res) => res.body as ProjectSettingsDto);

  it('an admin opens the settings of the chosen project from the nav', async () => {
    await signIn(page, ADMIN, ADMIN_PASSWORD);
    await page.getByLabel('Project', { exact: true }).selectOption({ label: 'Settings Co' });
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Agent policy' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Settings Co');
    for (const heading of [
      'Ticket destination',
      'API keys',
      'Widget',
      'Email',
      'People',
      'Projects',
    ]) {
      await section(heading).waitFor();
    }
    expect(await seriousA11yViolations(page)).toEqual([]);
    await shootAt('settings-top');
    await shootAt('settings-keys', '#api-keys');
    await shootAt('settings-lower', '#people');
  });

  it('saves a policy value (still there after a reload) and names a refused one beside its field', async () => {
    const policy = section('Agent policy');
    await policy.getByLabel('Auto-file threshold').fill('0.8');
    await policy.getByRole('checkbox', { name: 'urgent' }).check();
    await policy.getByRole('button', { name: 'Save agent policy' }).click();
    await policy.getByText('Agent policy saved.').waitFor();
    const saved = await settingsNow();
    expect(saved.policy.project).toMatchObject({
      autoFileThreshold: 0.8,
      approvalSeverities: ['urgent'],
    });

    await page.reload();
    await section('Agent policy').waitFor();
    expect(await section('Agent policy').getByLabel('Auto-file threshold').inputValue()).toBe(
      '0.8',
    );
    expect(
      await section('Agent policy').getByRole('checkbox', { name: 'urgent' }).isChecked(),
    ).toBe(true);

    // 11 questions is past the policy's limit: the server's message sits beside the field.
    const questions = section('Agent policy').getByLabel('Questions at most');
    await questions.fill('11');
    await section('Agent policy').getByRole('button', { name: 'Save agent policy' }).click();
    await page.locator('#policy-max-questions-error').waitFor();
    expect(await questions.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#policy-max-questions-error').textContent()).toMatch(/10/);
    expect((await settingsNow()).policy.effective.maxQuestions).not.toBe(11);
    await shootAt('settings-policy-error', '#policy');
  });

  it('creates an API key shown once that works, and revokes it in the page', async () => {
    const keys = section('API keys');
    await keys.getByLabel("New key's label").fill('Deploy bot');
    await keys.getByRole('button', { name: 'Create key' }).click();
    const shown = keys.getByLabel(/^New API key repro_/);
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^repro_/);
    expect(await shown.getAttribute('readonly')).not.toBeNull();
    await keys.getByRole('button', { name: 'Copy' }).waitFor();
    const row = keys.getByRole('row').filter({ hasText: 'Deploy bot' });
    const prefix = (await row.getByRole('rowheader').textContent())!.trim();
    expect(key.startsWith(prefix)).toBe(true);

    const current = await request(api.url)
      .get('/v1/projects/current')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(current.body.slug).toBe(project.project.slug);
    await shootAt('settings-key-created', '#api-keys');

    // Shown once: a reload lists the key by its prefix only.
    await page.reload();
    await section('API keys').getByRole('row').filter({ hasText: 'Deploy bot' }).waitFor();
    expect(await page.getByLabel(/^New API key/).count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain(key);

    const again = section('API keys').getByRole('row').filter({ hasText: 'Deploy bot' });
    await again.getByRole('button', { name: `Revoke ${prefix}` }).click();
    // Asked in the page first; the confirm button has the focus.
    const confirm = again.getByRole('button', { name: 'Revoke key' });
    await confirm.waitFor();
    expect(await confirm.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await section('API keys').getByText(`Key ${prefix} revoked`).waitFor();
    expect(
      await section('API keys').getByRole('row').filter({ hasText: 'Deploy bot' }).count(),
    ).toBe(0);
    const refused = await request(api.url)
      .get('/v1/projects/current')
      .set('Authorization', `Bearer ${key}`)
      .expect(401);
    expect(refused.body.error.code).toBe('UNAUTHORIZED');
    expect(dialogs).toEqual([]);
  });

  it('adds an allowed widget origin, and names a line that is not an origin', async () => {
    const widget = section('Widget');
    const origins = widget.getByLabel('Allowed origins');
    await origins.fill('https://shop.example.com\nftp://files.example.com');
    await widget.getByRole('button', { name: 'Save widget settings' }).click();
    await page.locator('#widget-origins-error').waitFor();
    expect(await page.locator('#widget-origins-error').textContent()).toContain('Line 2');
    expect((await settingsNow()).widget.allowedOrigins).toEqual([]);

    await origins.fill('https://shop.example.com/\n');
    await widget.getByRole('button', { name: 'Save widget settings' }).click();
    await widget.getByText('Widget settings saved.').waitFor();
    expect(await origins.inputValue()).toBe('https://shop.example.com');
    expect((await settingsNow()).widget.allowedOrigins).toEqual(['https://shop.example.com']);
    const snippet = await widget.getByLabel('Install snippet').inputValue();
    expect(snippet).toContain((await settingsNow()).widget.key);

    await page.reload();
    expect(await section('Widget').getByLabel('Allowed origins').inputValue()).toBe(
      'https://shop.example.com',
    );
  });

  it('adds a member, who signs in without a Settings link and is told only admins may change settings', async () => {
    const people = section('People');
    await people.getByLabel('Email').fill(MEMBER);
    await people.getByLabel('Name').fill('Milo');
    await people.getByLabel('Role').selectOption('member');
    await people.getByRole('button', { name: 'Add person' }).click();
    const shown = people.getByLabel(`Password for ${MEMBER}`, { exact: true });
    await shown.waitFor();
    const password = await shown.inputValue();
    expect(password.length).toBeGreaterThanOrEqual(12);
    await people
      .getByRole('row')
      .filter({ hasText: MEMBER })
      .filter({ hasText: 'member' })
      .waitFor();
    await shootAt('settings-person-added', '#people');

    const memberContext = await browser.newContext({ viewport: DESKTOP });
    try {
      const memberPage = await memberContext.newPage();
      watch(memberPage);
      await signIn(memberPage, MEMBER, password);
      await memberPage.getByRole('link', { name: 'Scorecard', exact: true }).waitFor();
      expect(await memberPage.getByRole('link', { name: 'Settings', exact: true }).count()).toBe(0);
      await memberPage.goto(`${api.url}/app/settings`);
      await memberPage.getByText('Only admins can change settings.').waitFor();
      expect(await memberPage.getByRole('heading', { name: 'Agent policy' }).count()).toBe(0);
      // The server refuses the member anyway.
      const refused = await memberPage.evaluate(async () => {
        const res = await fetch('/v1/projects/current/settings', { credentials: 'same-origin' });
        return { status: res.status, body: (await res.json()) as { error: { code: string } } };
      });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_ROLE' } } });

      // The admin turns the member off: their session ends at once; back on and a new password.
      const row = people.getByRole('row').filter({ hasText: MEMBER });
      await row.getByRole('button', { name: `Turn off ${MEMBER}` }).click();
      await people.getByText(`${MEMBER} is turned off`).waitFor();
      await row.getByText('(disabled)').waitFor();
      await memberPage.reload();
      await memberPage.getByRole('button', { name: 'Sign in' }).waitFor();
      await row.getByRole('button', { name: `Turn on ${MEMBER}` }).click();
      await people.getByText(`${MEMBER} can sign in again.`).waitFor();
      await row.getByRole('button', { name: `New password for ${MEMBER}` }).click();
      const fresh = people.getByLabel(`Password for ${MEMBER}`, { exact: true });
      await fresh.waitFor();
      const newPassword = await fresh.inputValue();
      expect(newPassword).not.toBe(password);
      await shootAt('settings-person-new-password', '#people');
      await signIn(memberPage, MEMBER, newPassword);
      await memberPage.getByRole('link', { name: 'Scorecard', exact: true }).waitFor();
    } finally {
      await memberContext.close();
    }
  });

  it('creates a project, lists it in the project select and switches to its empty inbox', async () => {
    const projects = section('Projects');
    await projects.getByLabel('Project name').fill('Second Shop');
    expect(await projects.getByLabel('Slug').inputValue()).toBe('second-shop');
    await projects.getByRole('button', { name: 'Create project' }).click();
    const key = projects.getByLabel("Second Shop's first API key");
    await key.waitFor();
    const created = await request(api.url)
      .get('/v1/projects/current')
      .set('Authorization', `Bearer ${await key.inputValue()}`)
      .expect(200);
    expect(created.body.slug).toBe('second-shop');

    // The same slug again is refused by name beside the slug.
    await projects.getByLabel('Project name').fill('Second Shop');
    await projects.getByRole('button', { name: 'Create project' }).click();
    await page.locator('#project-slug-error').waitFor();

    const select = page.getByLabel('Project', { exact: true });
    await select.locator('option', { hasText: 'Second Shop' }).waitFor({ state: 'attached' });
    await select.selectOption({ label: 'Second Shop' });
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByText('No reports match.').waitFor();
    expect(await page.locator('ol.reports > li').count()).toBe(0);
  });

  it("shows the week of this test's report on the scorecard, with the measures defined", async () => {
    await page.getByLabel('Project', { exact: true }).selectOption({ label: 'Settings Co' });
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByRole('link', { name: 'Scorecard', exact: true }).click();
    const table = page.getByRole('table', { name: /^How triage went, per week$/ });
    await table.waitFor();
    const region = page.getByRole('region', { name: /How triage went/ });
    expect(await region.getAttribute('tabindex')).toBe('0');

    const thisWeek = table.locator(`tr:has(time[datetime="${weekStart(reportAt)}"])`);
    const cells = await thisWeek.getByRole('cell').allTextContents();
    // Reports, then filed or merged without a person: the one report, filed by the agent.
    expect(cells[0]).toBe('1');
    expect(cells[1]).toBe('100%');
    expect(cells[2]).toBe('0%');
    expect(cells[7]).toBe('1');
    expect(await table.getByRole('row').count()).toBe(9);
    // An empty week: every measure a dash.
    const lastWeek = new Date(reportAt.getTime() - 7 * 24 * 3600 * 1000);
    const empty = await table
      .locator(`tr:has(time[datetime="${weekStart(lastWeek)}"])`)
      .getByRole('cell')
      .allTextContents();
    expect(new Set(empty)).toEqual(new Set(['–']));
    const headers = await table.getByRole('columnheader').allTextContents();
    expect(headers).toEqual([
      'Week starting',
      'Reports',
      'Filed or merged without a person',
      'Handed to a person',
      'Median time to ticket',
      'Questions per report',
      'Answered',
      'Duplicates merged',
      'Accounts affected',
    ]);
    await page.getByText('What each measure means').waitFor();
    expect(await page.locator('.definitions dt').count()).toBe(8);

    expect(await seriousA11yViolations(page)).toEqual([]);
    await shootAt('scorecard');
    // At phone width the table scrolls inside its own region, not the page.
    await page.setViewportSize(PHONE);
    // Evaluated as text: the tests' TypeScript has no DOM types.
    const widths = await page.evaluate<{ page: number; viewport: number }>(
      '({ page: document.documentElement.scrollWidth, viewport: window.innerWidth })',
    );
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await page.setViewportSize(DESKTOP);
    expect(pageErrors).toEqual([]);
  });
});
