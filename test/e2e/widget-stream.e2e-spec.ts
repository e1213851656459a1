/**
 * The widget streaming an identified customer's recording (streamRecording) in real Chromium
 * against Repro's real API and worker, and a mail from that customer, forwarded by support,
 * taking the session as its evidence: the loop a support team sees.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { RecordingChunk } from '../../src/modules/recordings/entities/recording-chunk.entity';
import { RecordingSession } from '../../src/modules/recordings/entities/recording-session.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { gmailForward } from '../factories/email.factory';
import { createProject, type TestProject } from '../factories/project.factory';
import { TestApp, type TestWindow } from '../fixtures/widget/test-app';
import { CHROMIUM, buildWidget } from '../support/browser';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const tag = () => randomBytes(3).toString('hex');

describe('widget streamRecording: a forwarded mail finds what the customer was doing', () => {
  let h: Harness;
  let api: RunningApp;
  let acme: TestProject;
  let browser: Browser;
  const app = new TestApp();

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'widget', 'manifest.json'))) buildWidget();
    await app.start();
    h = await createHarness({
      WIDGET_DIR: join(ROOT, 'dist', 'widget'),
      AGENT_APPROVAL_SEVERITIES: 'none',
    });
    api = await h.start('all');
    acme = await createProject(h.db, 'Acme');
    const projects = new ProjectsService(h.db);
    await projects.updateWidgetSettings(acme.project.slug, { allowedOrigins: [app.origin] });
    await projects.updateEmailSettings(acme.project.slug, {
      staffSenders: ['@support.acme.test'],
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
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  afterEach(() => context.close());

  const sessionsOf = (email: string) =>
    h.db.getRepository(RecordingSession).find({
      where: { projectId: acme.project.id, reporterEmail: email },
      order: { createdAt: 'ASC' },
    });

  /** What a session's stored chunks hold, as text. */
  async function sessionText(sessionId: string): Promise<string> {
    // data_gz is left out of the entity's default selection.
    const chunks = await h.db
      .getRepository(RecordingChunk)
      .createQueryBuilder('c')
      .addSelect('c.dataGz')
      .where('c.project_id = :projectId AND c.session_id = :sessionId', {
        projectId: acme.project.id,
        sessionId,
      })
      .orderBy('c.seq')
      .getMany();
    return chunks.map((c) => gunzipSync(c.dataGz).toString('utf8')).join('\n');
  }

  /** Widget uploads of recordings the page made (chunks and naming). */
  function watchUploads(): string[] {
    const seen: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/recordings/')) seen.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    return seen;
  }

  /** The answers to those uploads (what the test reports when something is refused). */
  function watchAnswers(): string[] {
    const answers: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/recordings/') && r.request().method() !== 'OPTIONS') {
        answers.push(`${r.request().method()} ${r.status()}`);
      }
    });
    page.on('requestfailed', (r) => {
      if (r.url().includes('/recordings/'))
        answers.push(`${r.method()} failed: ${r.failure()?.errorText}`);
    });
    return answers;
  }

  async function load(identity?: { email: string }): Promise<void> {
    await page.goto(`${app.origin}/app`);
    await page
      .locator('[data-repro-widget]')
      .getByRole('button', { name: 'Report a bug' })
      .waitFor();
    if (identity) {
      await page.evaluate(
        (who) => (globalThis as unknown as TestWindow).Repro.identify(who),
        identity,
      );
    }
  }

  it('streams the identified customer’s session across page loads, and their forwarded mail files a ticket with its steps and failed request', async () => {
    app.attrs = 'data-repro-stream-recording="true" data-repro-stream-every-ms="1000"';
    const email = `gail-${tag()}@customer.test`;
    const uploads = watchUploads();
    const answers = watchAnswers();
    await load({ email });
    await page.click('#orders-link');
    await page.waitForURL(/\/app\/orders$/);
    await page.click('#save');
    await page.getByText('Something went wrong').waitFor();

    // The failed save reaches Repro within a few seconds, without a report.
    const session = await waitFor<RecordingSession>(
      async () => {
        const [found] = await sessionsOf(email);
        return found && (await sessionText(found.sessionId)).includes('/api/billing') && found;
      },
      { what: 'the streamed session with the failed save', timeoutMs: 30_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; uploads answered: ${answers.join(', ')}`);
    });
    // Every upload was taken: one session, named once.
    expect(answers.every((a) => / 20[01]$/.test(a))).toBe(true);
    expect(await sessionsOf(email)).toHaveLength(1);
    expect(uploads).toContain(
      `PUT /v1/widget/${acme.project.widgetKey}/recordings/${session.sessionId}`,
    );

    // A reload is a new page in the same tab: the same session goes on after its full snapshot.
    const before = session.chunkCount;
    await page.reload();
    await page.evaluate((who) => (globalThis as unknown as TestWindow).Repro.identify(who), {
      email,
    });
    await waitFor(
      async () => {
        const found = await sessionsOf(email);
        return found.length === 1 && found[0].chunkCount > before;
      },
      { what: 'the session to go on after the reload', timeoutMs: 20_000 },
    );

    const raw = await new MailComposer({
      from: 'Sol Support <sol@support.acme.test>',
      to: 'bugs@repro.test',
      subject: 'Fwd: billing',
      text: gmailForward({
        note: 'Can you look at this one?',
        customer: `Gail Green <${email}>`,
        subject: 'billing',
        words: 'I pressed save on my plan and it says something went wrong.',
        date: new Date().toUTCString(),
      }),
    })
      .compile()
      .build();
    const res = await request(api.url)
      .post('/v1/emails')
      .set(acme.auth)
      .set('Content-Type', 'message/rfc822')
      .send(raw)
      .expect(202);
    const filed = await waitForReport(api.url, acme.auth, res.body.id as string, 'filed');
    expect(filed.recording).toMatchObject({ analyzed: true });
    expect(filed.email).toMatchObject({ recording: { sessionId: session.sessionId } });
    const ticket = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: filed.id });
    expect(ticket.body).toContain('/api/billing');
    expect(ticket.body).toContain('500');
    expect(ticket.body).toMatch(/Clicked button "Save/);

    // The session is the report's now: the widget's next upload is refused and it starts anew.
    await page.click('#save');
    await waitFor(
      async () => {
        const found = await sessionsOf(email);
        return found.length === 2 && found[1].chunkCount > 0;
      },
      { what: 'a new session after the old one was taken', timeoutMs: 20_000 },
    );
  });

  it('streams nothing for a customer nobody identified, nor when streamRecording is off', async () => {
    app.attrs = 'data-repro-stream-recording="true" data-repro-stream-every-ms="1000"';
    const anonymous = watchUploads();
    await load();
    await page.click('#save');
    await page.getByText('Something went wrong').waitFor();
    await page.waitForTimeout(2_500);
    expect(anonymous).toEqual([]);

    app.attrs = 'data-repro-stream-every-ms="1000"';
    const page2 = await context.newPage();
    page = page2;
    const off = watchUploads();
    await load({ email: `hal-${tag()}@customer.test` });
    await page.click('#save');
    await page.getByText('Something went wrong').waitFor();
    await page.waitForTimeout(2_500);
    expect(off).toEqual([]);
  });
});
