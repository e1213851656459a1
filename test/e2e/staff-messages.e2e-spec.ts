import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { gmailForward } from '../factories/email.factory';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { FakeSmtpServer } from '../fakes/smtp.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

/** The agent's real defaults, so that it asks the reporter questions. */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};
const APP = 'https://app.acme.example';
const MAIL_FROM = 'questions@helpdesk.test';
const STAFF = 'lee@support.shopfront.test';
const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const NOTE = 'Thanks Ana, we can reproduce it and a fix ships tomorrow.';

const tag = () => randomBytes(3).toString('hex');

describe('POST /v1/reports/:id/staff-messages: staff write to the reporter', () => {
  let h: Harness;
  let app: RunningApp;
  let smtp: FakeSmtpServer;
  let acme: TestProject;

  const widget = (path: string) => `/v1/widget/${acme.project.widgetKey}${path}`;
  const write = (id: string, body: unknown, project = acme) =>
    request(app.url)
      .post(`/v1/reports/${id}/staff-messages`)
      .set(project.auth)
      .send(body as object);

  beforeAll(async () => {
    smtp = new FakeSmtpServer();
    await smtp.start();
    h = await createHarness(AGENT_DEFAULTS);
    app = await h.start('all', { SMTP_URL: smtp.url, MAIL_FROM });
    acme = await createProject(h.db, 'Acme');
    await new ProjectsService(h.db).updateWidgetSettings(acme.project.slug, {
      allowedOrigins: [APP],
    });
  });
  afterAll(async () => {
    await h.close();
    await smtp.stop();
  });

  it("shows in the widget's conversation without answering the agent's question", async () => {
    const sent = await request(app.url)
      .post(widget('/reports'))
      .set('Origin', APP)
      .send(
        reportPayload({
          description: 'profile is broken',
          page: { url: `${APP}/settings/profile` },
          client: { userAgent: CHROME },
          reporter: { email: `ana.${tag()}@acme.example`, name: 'Ana Lima' },
        }),
      )
      .expect(202);
    const { id, reporterToken } = sent.body as { id: string; reporterToken: string };
    const read = () =>
      request(app.url)
        .get(widget(`/reports/${id}`))
        .set('Origin', APP)
        .set({ Authorization: `Bearer ${reporterToken}` })
        .expect(200);
    await waitFor(async () => (await read()).body.awaitingReply === true, {
      what: 'the agent to ask',
    });

    const res = await write(id, { body: NOTE }).expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      author: 'staff',
      body: NOTE,
      questions: [],
      createdAt: expect.any(String),
    });

    // The reporter sees it in the widget, and the agent's question still waits for them.
    const seen = await read();
    expect(seen.body).toMatchObject({ status: 'clarifying', awaitingReply: true });
    expect(seen.body.messages.map((m: { author: string; body: string }) => m.author)).toEqual([
      'agent',
      'staff',
    ]);
    expect(seen.body.messages[1].body).toBe(NOTE);
    const audit = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, event: 'staff_message' });
    expect(audit.details).toEqual({ messageId: res.body.id });

    // Their answer is still taken, and the agent files the report with it.
    await request(app.url)
      .post(widget(`/reports/${id}/messages`))
      .set('Origin', APP)
      .set({ Authorization: `Bearer ${reporterToken}` })
      .send({
        body: 'I choose a new avatar and press Save profile, and nothing happens. I expected my new avatar to be saved and shown on my profile. It happens every time.',
      })
      .expect(201);
    await waitForReport(app.url, acme.auth, id, 'filed');
    const filed = await read();
    expect(filed.body.messages.map((m: { author: string }) => m.author)).toEqual([
      'agent',
      'staff',
      'reporter',
    ]);

    // Staff may write after filing too.
    await write(id, { body: 'The fix is live.' }).expect(201);
    expect((await read()).body.messages.at(-1)).toMatchObject({ author: 'staff' });
  });

  it('emails an email reporter, in the thread of their report', async () => {
    const p = await createProject(h.db, `Shop ${tag()}`);
    await new ProjectsService(h.db).updateEmailSettings(p.project.slug, {
      staffSenders: ['@support.shopfront.test'],
      questionsTo: 'reporter',
    });
    const customer = `bea.${tag()}@somestore.test`;
    const subject = `Notifications broken ${tag()}`;
    const raw = await new MailComposer({
      to: 'bugs@repro.test',
      from: `Lee Support <${STAFF}>`,
      subject: `Fwd: ${subject}`,
      text: gmailForward({
        note: 'Can you look at this one?',
        customer: `Bea Buyer <${customer}>`,
        subject,
        words: 'notification settings are broken',
      }),
    })
      .compile()
      .build();
    const posted = await request(app.url)
      .post('/v1/emails')
      .set(p.auth)
      .set('Content-Type', 'message/rfc822')
      .send(raw)
      .expect(202);
    const reportId = posted.body.id as string;
    const [question] = await waitFor(() => smtp.to(customer).length >= 1 && smtp.to(customer), {
      what: 'the question by mail',
    });

    await write(reportId, { body: NOTE }, p).expect(201);
    const mails = await waitFor(() => smtp.to(customer).length >= 2 && smtp.to(customer), {
      what: 'the staff message by mail',
    });
    const mail = mails[1];
    expect(mail.envelope.to).toEqual([customer]);
    expect(mail.parsed.subject).toBe(`Re: ${subject}`);
    expect(mail.parsed.text).toContain(NOTE);
    // Threaded after the question, so the customer's client shows one conversation.
    expect(mail.parsed.inReplyTo).toBe(question.parsed.messageId);
  });

  it("refuses an empty message, another project's report, and the reporter's own token", async () => {
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .expect(202);
    const id = created.body.id as string;
    const empty = await write(id, { body: '  ' }).expect(400);
    expect(empty.body.error.details.fields[0].field).toBe('body');
    await write(id, {}).expect(400);
    await write(id, { body: 'x'.repeat(10_001) }).expect(400);

    const globex = await createProject(h.db, 'Globex');
    await write(id, { body: NOTE }, globex).expect(404);
    await write('not-a-uuid', { body: NOTE }).expect(404);
    await request(app.url)
      .post(`/v1/reports/${id}/staff-messages`)
      .set({ Authorization: `Bearer ${created.body.reporterToken as string}` })
      .send({ body: NOTE })
      .expect(401);
    const conversation = await request(app.url)
      .get(`/v1/reports/${id}/messages`)
      .set(acme.auth)
      .expect(200);
    // Nothing of the refused messages reached the conversation.
    expect(
      conversation.body.messages.filter((m: { author: string }) => m.author === 'staff'),
    ).toEqual([]);
  });
});
