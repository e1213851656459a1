/**
 * The triage web app (/app) in real Chromium against the real API and worker: a person signs
 * in, finds the report that waits for them first in the inbox, opens it with the keyboard,
 * approves it with an edit, rejects, merges, resolves the ticket, sees a customer's markup as
 * text, and signs out. axe-core checks each page; each page is saved at desktop and phone
 * widths to /tmp/shots/web/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { CHROMIUM } from '../support/browser';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { reproInProcess } from '../support/process';
import { waitForReport } from '../support/reports';
import { waitFor } from '../support/wait-for';
import { DESKTOP, buildWebApp, seriousA11yViolations, shoot } from '../support/web';

const ROOT = join(__dirname, '..', '..');
const SHOTS = '/tmp/shots/web';
const EMAIL = 'lena@triage.example';
const XSS_IMG = '<img src=x onerror=alert(1)>';
const XSS_SCRIPT = '<script>alert(2)</script>';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A report that says everything, so the agent asks nothing; urgent, so a person approves it. */
function urgent(
  title: string,
  account: Record<string, unknown>,
  extra = '',
): Record<string, unknown> {
  return reportPayload({
    description: `${title}${extra}\n\nSteps: open Orders, choose an order, press Pay now.\nExpected: the payment goes through.\nActual: "Payment failed" for every customer since this morning; nobody can pay, we are losing orders.`,
    page: { url: 'https://app.acme.example/orders/5521/pay' },
    client: { userAgent: CHROME },
    account,
  });
}

/** The customer's session: Pay now fails with a 502 and a console error. */
function payRecording(): Record<string, unknown>[] {
  return new RrwebBuilder('https://app.acme.example/orders/5521/pay')
    .load(0, (x) => [
      x.el('h1', {}, ['Order 5521']),
      x.el('button', { type: 'button' }, ['Pay now'], 'pay'),
      x.el('p', {}, [], 'out'),
    ])
    .click(1_500, 'pay')
    .request(2_000, 'POST', 'https://app.acme.example/api/payments', 502)
    .consoleError(2_300, 'Payment failed: upstream 502')
    .render(2_500, 'out', 'Payment failed').events;
}

describe('the triage web app: sign in, decide, resolve, sign out', () => {
  let h: Harness;
  let api: RunningApp;
  let project: TestProject;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let password: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  const post = (body: Record<string, unknown>) =>
    request(api.url).post('/v1/reports').set(project.auth).send(body).expect(202);
  /** The report as the API shows it; `replay` is the link the app embeds. */
  const view = (id: string) =>
    request(api.url)
      .get(`/v1/reports/${id}`)
      .set(project.auth)
      .then((res) => res.body as ReportView & { replay?: { url: string } | null });

  /** Filed first: a ticket for the payment reports to be compared with and merged into. */
  let filedKey: string;
  let approveId: string;
  let rejectId: string;
  let mergeId: string;
  let xssId: string;

  beforeAll(async () => {
    // The test run builds it (global-setup); a file run on its own builds it if it is missing.
    if (!existsSync(join(ROOT, 'dist', 'web', 'manifest.json'))) buildWebApp();
    h = await createHarness({
      AGENT_MAX_QUESTIONS: '3',
      AGENT_AUTO_FILE_THRESHOLD: '0.5',
      AGENT_APPROVAL_SEVERITIES: 'urgent',
    });
    api = await h.start('all');
    project = await createProject(h.db, 'Triage Co');

    const made = await reproInProcess(['users', 'create', '--email', EMAIL, '--admin'], h.env);
    expect(made.code).toBe(0);
    // Without --password-stdin the generated password is printed once, alone on stdout.
    password = made.stdout.trim().split('\n').pop()!.trim();
    expect(password.length).toBeGreaterThanOrEqual(12);

    const first = await post(
      reportPayload({
        description:
          "Invoices list is empty\n\nSteps:\n1. Open Invoices\n2. Choose March\n\nExpected: last month's invoices.\nActual: an empty list, every time since Monday.",
        page: { url: 'https://app.acme.example/invoices' },
        client: { userAgent: CHROME },
        account: { id: 'acct-small', name: 'Small Shop' },
      }),
    );
    filedKey = (await waitForReport(api.url, project.auth, first.body.id, 'filed')).ticket!.key;

    const wait = async (body: Record<string, unknown>) => {
      const res = await post(body);
      await waitForReport(api.url, project.auth, res.body.id, 'needs_human');
      return res.body.id as string;
    };
    mergeId = await wait(
      urgent('Pay now is broken for us as well', { id: 'acct-m', name: 'Merge Ltd', tier: 'pro' }),
    );
    rejectId = await wait(
      urgent('Our cashier test account cannot pay', { id: 'acct-r', name: 'Rej Inc' }),
    );
    xssId = await wait(
      urgent(`Checkout broken ${XSS_IMG} ${XSS_SCRIPT}`, { id: 'acct-x', name: 'X Corp' }),
    );
    approveId = await wait({
      ...urgent('Customers cannot pay their orders', {
        id: 'acct-big',
        name: 'Big Co',
        tier: 'enterprise',
      }),
      events: payRecording(),
    });

    browser = await chromium.launch(CHROMIUM);
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function a11y(name: string): Promise<void> {
    expect(await seriousA11yViolations(page)).toEqual([]);
    await shoot(page, SHOTS, name);
  }

  const main = () => page.locator('main');
  const rows = () => page.locator('ol.reports > li');

  it('serves the app with its CSP, index.html for its routes, and nothing else as a file', async () => {
    for (const path of ['/app', '/app/', `/app/reports/${approveId}`, '/app/tickets/REPRO-1']) {
      const res = await request(api.url).get(path).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'self'; frame-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(res.headers['cache-control']).toBe('no-store');
      // No inline script or style: the CSP allows none.
      expect(res.text).not.toMatch(/<script>|<style|style=/);
    }
    const index = await request(api.url).get('/app');
    const script = /src="(\/app\/assets\/app-[0-9a-f]{10}\.js)"/.exec(index.text)![1];
    const js = await request(api.url).get(script).expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    const missing = await request(api.url).get('/app/assets/app-0000000000.js').expect(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    await request(api.url).get('/app/assets/..%2F..%2Fpackage.json').expect(404);
    // The data is not public: without the session the API answers 401.
    await request(api.url).get('/v1/reports').expect(401);
  });

  it('signs in with email and password', async () => {
    await page.goto(`${api.url}/app`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await a11y('sign-in');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('INVALID_CREDENTIALS');
    await shoot(page, SHOTS, 'sign-in-refused');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'repro_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('lists the reports that wait for a person first, in the chosen project', async () => {
    await page.getByLabel('Project').selectOption({ label: 'Triage Co' });
    await rows().first().waitFor();
    await waitFor(async () => ((await rows().count()) === 5 ? true : undefined), {
      what: 'five reports in the inbox',
    });
    // Four wait for a person, newest first; the filed one comes after them.
    const statuses = await rows()
      .locator('[data-status]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
    expect(statuses).toEqual(['needs_human', 'needs_human', 'needs_human', 'needs_human', 'filed']);
    await expect(rows().first().textContent()).resolves.toContain(
      'Customers cannot pay their orders',
    );
    const counts = await page.getByRole('group', { name: 'Reports by status' }).textContent();
    expect(counts).toMatch(/needs a person\s*4/);
    await a11y('inbox');

    // `/` goes to the search box; the list narrows as one types.
    await page.getByRole('heading', { name: 'Inbox' }).click();
    await page.keyboard.press('/');
    await page.keyboard.type('cashier');
    await waitFor(async () => ((await rows().count()) === 1 ? true : undefined), {
      what: 'one report about the cashier',
    });
    expect(await rows().first().textContent()).toContain('Our cashier test account cannot pay');
    await page.getByLabel('Search').fill('');
    // Escape leaves the search box, and the keys move in the list again.
    await page.keyboard.press('Escape');
    await waitFor(async () => ((await rows().count()) === 5 ? true : undefined), {
      what: 'all five reports again',
    });
  });

  it('opens a report with the keyboard and shows its replay, facts, candidates and proposal', async () => {
    // The list is on the page: j moves down, k back up, Enter opens the selected report.
    await page.locator('body').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await expect(page.locator('li.selected').textContent()).resolves.toContain(
      'Customers cannot pay their orders',
    );
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard' }).waitFor();
    await shoot(page, SHOTS, 'inbox-keys');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/app/reports/${approveId}`);
    await page.getByRole('heading', { name: 'Facts' }).waitFor();

    const report = await view(approveId);
    const replay = page.locator('iframe.replay');
    await replay.waitFor();
    // The link signed at the moment of failure, opened from this server's own address.
    const link = new URL(report.replay!.url);
    const src = new URL((await replay.getAttribute('src'))!, api.url);
    expect(src.pathname).toBe(link.pathname);
    expect(src.searchParams.get('t')).toBe(link.searchParams.get('t'));
    // The replay page lets its own origin frame it: it plays inside the report.
    await page
      .frameLocator('iframe.replay')
      .getByRole('heading', { name: 'Customers cannot pay their orders' })
      .waitFor();
    const facts = page.locator('dl.facts .fact');
    expect(await facts.count()).toBeGreaterThan(2);
    // Each fact with its source.
    expect(await facts.filter({ hasText: 'What was expected' }).textContent()).toContain(
      report.triage!.facts.expected!.source,
    );
    expect(await page.locator('dl.facts').textContent()).toContain(
      report.triage!.facts.expected!.value,
    );
    for (const candidate of report.dedupe?.candidates ?? []) {
      if (candidate.key) {
        await expect(page.locator('.side-by-side').textContent()).resolves.toContain(candidate.key);
      }
    }
    expect(await page.getByLabel('Title').inputValue()).toBe(report.triage!.proposal!.title);
    await a11y('report');
  });

  it('approves with an edit, and the ticket page shows the edit', async () => {
    await page.keyboard.press('e');
    await page.getByLabel('Title').fill('Pay now fails for every order (payments 502)');
    await page.getByLabel('Expected').fill('The order is paid and marked as paid');
    await page.getByRole('button', { name: 'Approve with edits' }).click();
    await page.getByText('Done: the report is filing.').waitFor();
    const ticketLink = page.locator('.report-meta a.key');
    await ticketLink.waitFor({ timeout: 30_000 });
    await ticketLink.click();
    await page
      .getByRole('heading', { name: 'Pay now fails for every order (payments 502)' })
      .waitFor();
    // The body is the edited ticket, shown as text.
    expect(await page.locator('pre.ticket-body').textContent()).toContain(
      '- **Expected:** The order is paid and marked as paid',
    );
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: approveId });
    expect(issue.title).toBe('Pay now fails for every order (payments 502)');
    await a11y('ticket');
  });

  it('resolves a built-in ticket, and its reports become resolved', async () => {
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('button', { name: 'Reopen' }).waitFor();
    await expect(page.locator('.report-meta [data-status]').textContent()).resolves.toBe(
      'resolved',
    );
    await waitForReport(api.url, project.auth, approveId, 'resolved');
    await page.reload();
    await page.locator(`li[data-report-id="${approveId}"] [data-status="resolved"]`).waitFor();
    await shoot(page, SHOTS, 'ticket-resolved');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Tickets' })
      .click();
    const resolved = page
      .locator('ol.reports > li')
      .filter({ hasText: 'Pay now fails for every order' });
    await resolved.locator('[data-status="resolved"]').waitFor();
    await a11y('tickets');
  });

  it('writes to the reporter, and the message joins the conversation', async () => {
    await page.goto(`${api.url}/app/reports/${rejectId}`);
    await page.getByRole('heading', { name: 'Conversation' }).waitFor();
    await page.keyboard.press('w');
    await page.keyboard.type('Thanks, we are looking at your payments now.');
    await page.getByRole('button', { name: 'Send to the reporter' }).click();
    await page.getByText('Your message was sent to the reporter.').waitFor();
    const message = page.locator('ol.messages li.from-staff');
    await message.waitFor();
    expect(await message.textContent()).toContain('Thanks, we are looking at your payments now.');
  });

  it('rejects a report with a reason, chosen in the inbox with r', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Inbox' })
      .click();
    const row = rows().filter({ hasText: 'Our cashier test account cannot pay' });
    // Tab brings the focus to the row's link, which selects the row; r rejects it.
    await row.locator('a.row-link').focus();
    await page.keyboard.press('r');
    await page.waitForURL(`**/app/reports/${rejectId}#reject`);
    await page.getByRole('heading', { name: 'Reject' }).waitFor();
    // Opened for rejecting: the reason has the focus.
    await waitFor(
      async () =>
        (await page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { id: string } | null } })
              .document.activeElement?.id,
        )) === 'reject-reason'
          ? true
          : undefined,
      { what: 'the reason to have the focus' },
    );
    await page.keyboard.type('A test account of theirs; nothing is broken.');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('Done: the report is rejected.').waitFor();
    expect((await view(rejectId)).status).toBe('rejected');
    expect((await view(rejectId)).triage?.humanDecision).toMatchObject({
      action: 'reject',
      reason: 'A test account of theirs; nothing is broken.',
    });
  });

  it('merges a report into a ticket by its key, and says which field is wrong for an unknown one', async () => {
    await page.goto(`${api.url}/app/reports/${mergeId}`);
    await page.getByRole('heading', { name: 'Merge' }).waitFor();
    await page.keyboard.press('m');
    await page.keyboard.type('REPRO-99999');
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    const fieldError = page.locator('#merge-target-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('REPRO-99999');
    await shoot(page, SHOTS, 'report-merge-error');
    await page.getByLabel('Ticket key').fill(filedKey);
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.getByText(/Done: the report is/).waitFor();
    const merged = await view(mergeId);
    expect(merged.ticket).toMatchObject({ key: filedKey });
  });

  it("shows a customer's markup as text in the inbox, the report and its ticket's title: no element is made and no script runs", async () => {
    await page.goto(`${api.url}/app`);
    const row = rows().filter({ hasText: 'Checkout broken' });
    await row.waitFor();
    expect(await row.textContent()).toContain(XSS_IMG);
    await row.locator('a.row-link').click();
    await page.getByRole('heading', { name: 'What the customer said' }).waitFor();
    const words = await page.locator('main').textContent();
    expect(words).toContain(XSS_IMG);
    expect(words).toContain(XSS_SCRIPT);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    await shoot(page, SHOTS, 'report-xss');

    // Approved from the inbox with `a`: the ticket's title is the customer's markup, as text.
    await page.goto(`${api.url}/app`);
    await row.locator('a.row-link').focus();
    await page.keyboard.press('a');
    await page.getByText(/^Approved “Checkout broken/).waitFor();
    const filed = await waitForReport(api.url, project.auth, xssId, 'filed');
    await page.goto(`${api.url}/app/tickets/${filed.ticket!.key}`);
    const title = page.getByRole('heading', { level: 1 });
    await title.waitFor();
    expect(await title.textContent()).toContain(XSS_IMG);
    expect(await page.locator('main img').count()).toBe(0);
    await shoot(page, SHOTS, 'ticket-xss');
    expect(dialogs).toEqual([]);
  });

  it('signs out back to the sign-in page, and the session is gone', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.goto(`${api.url}/app`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'repro_session');
    expect(cookie).toBeUndefined();
    expect(main()).toBeTruthy();
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
