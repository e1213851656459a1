import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { RecordingChunk } from '../../src/modules/recordings/entities/recording-chunk.entity';
import { RecordingSession } from '../../src/modules/recordings/entities/recording-session.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { JobName, QueueName } from '../../src/queue/queue.constants';
import { redisOptions } from '../../src/queue/redis-connection';
import { gmailForward } from '../factories/email.factory';
import { createProject, type TestProject } from '../factories/project.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { FakeSentryApi } from '../fakes/sentry-api.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

const MIN = 60_000;
const tag = () => randomBytes(3).toString('hex');
const CRASH = "TypeError: Cannot read properties of undefined (reading 'invoice')";

/** What the customer's browser streamed while they hit the bug, starting `agoMs` before now. */
function customerSession(agoMs: number): Record<string, unknown>[] {
  const b = new RrwebBuilder('https://app.shopfront.test/billing/invoices');
  b.t0 = Date.now() - agoMs;
  return b
    .load(0, (x) => [
      x.el('main', {}, [
        x.el('h1', {}, ['Invoices']),
        x.el('button', { type: 'button' }, ['Download November invoice'], 'download'),
      ]),
    ])
    .click(4_000, 'download')
    .request(4_200, 'GET', '/api/invoices/2026-11/pdf', 500, 310)
    .consoleError(4_260, CRASH, {
      trace: ['renderInvoice (https://app.shopfront.test/static/invoices.js:41:7)'],
    }).events;
}

/** An RFC 5322 date `agoMs` before now, as a forward header carries it. */
const dateAgo = (agoMs: number) => new Date(Date.now() - agoMs).toUTCString();

describe('a mail takes the customer’s recent widget session and Sentry errors as its evidence', () => {
  const sentry = new FakeSentryApi();
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    await sentry.start();
    h = await createHarness({
      SENTRY_AUTH_TOKEN: sentry.token,
      SENTRY_ORG: sentry.org,
      SENTRY_BASE_URL: sentry.baseUrl,
      SENTRY_TIMEOUT_MS: '800',
      SENTRY_RETRY_BUDGET_MS: '4000',
    });
    app = await h.start('all', { EMAIL_RECORDING_WINDOW_MINUTES: 30 });
    acme = await createProject(h.db);
    await new ProjectsService(h.db).updateEmailSettings(acme.project.slug, {
      staffSenders: ['@support.shopfront.test'],
    });
  });
  afterAll(async () => {
    await h.close();
    await sentry.stop();
  });

  /** A session streamed the way the widget does: named, then its chunks. */
  async function stream(sessionId: string, email: string, events: unknown[]): Promise<void> {
    await request(app.url)
      .put(`/v1/recordings/${sessionId}`)
      .set(acme.auth)
      .send({ reporter: { email } })
      .expect(200);
    await request(app.url)
      .post(`/v1/recordings/${sessionId}/chunks?seq=0`)
      .set(acme.auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(events))
      .expect(201);
  }

  async function forward(customer: string, sentAgoMs: number, words: string): Promise<string> {
    const raw = await new MailComposer({
      from: 'Sam Support <sam@support.shopfront.test>',
      to: 'bugs@repro.test',
      subject: 'Fwd: invoice download',
      text: gmailForward({
        note: 'Customer cannot get their invoice.',
        customer,
        subject: 'invoice download',
        words,
        date: dateAgo(sentAgoMs),
      }),
    })
      .compile()
      .build();
    const res = await request(app.url)
      .post('/v1/emails')
      .set(acme.auth)
      .set('Content-Type', 'message/rfc822')
      .send(raw)
      .expect(202);
    return res.body.id as string;
  }

  const view = async (id: string) =>
    (await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200)).body as ReportView;

  it('links the forwarded customer’s session from before the mail: steps, the failed request, the error and their Sentry issue reach the ticket with the reasons', async () => {
    const email = `dana-${tag()}@customer.test`;
    const sessionId = `sess_${tag()}${tag()}`;
    await stream(sessionId, email, customerSession(6 * MIN));
    // As the browser left it: begun 6 minutes ago, its last chunk 5 minutes ago.
    await h.db
      .getRepository(RecordingSession)
      .update(
        { projectId: acme.project.id, sessionId },
        { createdAt: new Date(Date.now() - 6 * MIN), updatedAt: new Date(Date.now() - 5 * MIN) },
      );
    const issue = sentry.addIssue({ title: CRASH });
    sentry.addEvent(issue.id, { at: new Date(Date.now() - 6 * MIN + 4_300), user: { email } });

    // Support forwards it an hour later; the customer wrote 3 minutes after the crash.
    const id = await forward(
      `Dana Doe <${email}>`,
      3 * MIN,
      'I click download and nothing happens, the invoice never comes.',
    );
    const filed = await waitForReport(app.url, acme.auth, id, 'filed');

    expect(filed.recording).toMatchObject({ analyzed: true });
    // What the analysis found, as the report's view (and the inbox's report page) lists it.
    expect(filed.analysis?.steps.map((s) => s.text)).toContain(
      'Clicked button "Download November invoice"',
    );
    expect(filed.analysis?.failedRequests).toEqual([
      expect.objectContaining({
        method: 'GET',
        status: 500,
        url: expect.stringContaining('/api/invoices/2026-11/pdf'),
      }),
    ]);
    expect(filed.analysis?.errors.map((e) => e.message)).toContain(CRASH);
    expect(filed.email).toMatchObject({
      recording: {
        sessionId,
        reason: expect.stringMatching(
          /^the widget session named with the customer's address \(last recorded 2 min before the mail was sent\)$/,
        ),
      },
    });
    expect(filed.sentry).toMatchObject({ status: 'matched', issue: { id: issue.id } });
    expect(filed.sentry!.issue!.reasons.join(' ')).toContain('same user');

    const ticket = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: id });
    expect(ticket.body).toContain('/api/invoices/2026-11/pdf');
    expect(ticket.body).toContain('500');
    expect(ticket.body).toContain("reading 'invoice'");
    expect(ticket.body).toContain(issue.shortId);
    expect(ticket.body).toMatch(/\/replay\/[0-9a-f-]{36}\?t=\d+/);
    expect(ticket.body).toContain(
      "The recording is the widget session named with the customer's address (last recorded",
    );

    // The session is this report's now: the browser's next chunk is refused, so it starts anew.
    await request(app.url)
      .post(`/v1/recordings/${sessionId}/chunks?seq=1`)
      .set(acme.auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(customerSession(MIN).slice(0, 2)))
      .expect(409);
  });

  it('takes no session of another person, none that ended before the window and none a report already took', async () => {
    const email = `eli-${tag()}@customer.test`;
    // Someone else's session, at the right time.
    await stream(`other_${tag()}${tag()}`, `someone-${tag()}@customer.test`, customerSession(MIN));
    // The customer's own, but last recorded two hours before the mail.
    const stale = `stale_${tag()}${tag()}`;
    await stream(stale, email, customerSession(MIN));
    await h.db.getRepository(RecordingSession).update(
      { projectId: acme.project.id, sessionId: stale },
      {
        createdAt: new Date(Date.now() - 130 * MIN),
        updatedAt: new Date(Date.now() - 121 * MIN),
      },
    );
    const first = await forward(`Eli <${email}>`, MIN, 'Invoices will not download for me.');
    const shown = await view(first);
    expect(shown.recording).toBeNull();
    expect(shown.email).toMatchObject({ recording: null });

    // A fresh session: the first mail takes it, a second mail from Eli does not take it again.
    const fresh = `fresh_${tag()}${tag()}`;
    await stream(fresh, email, customerSession(2 * MIN));
    const second = await forward(`Eli <${email}>`, 0, 'Still no invoice, tried twice.');
    expect((await view(second)).email).toMatchObject({ recording: { sessionId: fresh } });
    const third = await forward(`Eli <${email}>`, 0, 'Third try, no invoice either.');
    expect((await view(third)).recording).toBeNull();
  });

  it('refuses to name a session without an email or an id, or with a bad address', async () => {
    const put = (body: object) =>
      request(app.url).put(`/v1/recordings/sess_${tag()}${tag()}`).set(acme.auth).send(body);
    const none = await put({ reporter: {} }).expect(400);
    expect(none.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [expect.objectContaining({ field: 'reporter' })] },
    });
    const bad = await put({ reporter: { email: 'not-an-address' } }).expect(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('reporter.email');
  });

  it('deletes streamed sessions no report took once RECORDING_UNCLAIMED_SESSION_HOURS passed, with their chunks, and keeps taken ones', async () => {
    const email = `fay-${tag()}@customer.test`;
    const unclaimed = `unclaimed_${tag()}${tag()}`;
    const taken = `taken_${tag()}${tag()}`;
    const recent = `recent_${tag()}${tag()}`;
    await stream(taken, email, customerSession(2 * MIN));
    await forward(`Fay <${email}>`, 0, 'The invoice button does nothing.');
    await stream(unclaimed, `gone-${tag()}@customer.test`, customerSession(2 * MIN));
    await stream(recent, `here-${tag()}@customer.test`, customerSession(2 * MIN));
    const sessions = h.db.getRepository(RecordingSession);
    const dayAgo = new Date(Date.now() - 25 * 60 * MIN);
    for (const sessionId of [unclaimed, taken]) {
      await sessions.update(
        { projectId: acme.project.id, sessionId },
        { createdAt: dayAgo, updatedAt: dayAgo },
      );
    }

    const maintenance = new Queue(QueueName.Maintenance, {
      connection: { ...redisOptions(h.config.REDIS_URL), maxRetriesPerRequest: 3 },
      prefix: h.config.QUEUE_PREFIX,
    });
    try {
      await maintenance.add(JobName.PurgeUnclaimedSessions, {}, { removeOnComplete: true });
      await waitFor(
        async () =>
          !(await sessions.existsBy({ projectId: acme.project.id, sessionId: unclaimed })),
        { what: 'the unclaimed session to be deleted' },
      );
    } finally {
      await maintenance.close();
    }
    const chunks = h.db.getRepository(RecordingChunk);
    expect(await chunks.countBy({ projectId: acme.project.id, sessionId: unclaimed })).toBe(0);
    expect(await sessions.existsBy({ projectId: acme.project.id, sessionId: taken })).toBe(true);
    expect(await chunks.countBy({ projectId: acme.project.id, sessionId: taken })).toBe(1);
    expect(await sessions.existsBy({ projectId: acme.project.id, sessionId: recent })).toBe(true);
  });
});
