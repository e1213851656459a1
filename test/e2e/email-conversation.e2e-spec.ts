import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { EmailMessage } from '../../src/modules/email/entities/email-message.entity';
import { ReportMessage } from '../../src/modules/conversation/entities/report-message.entity';
import { OutboundEmail } from '../../src/modules/email/outbound/entities/outbound-email.entity';
import { OutboundService } from '../../src/modules/email/outbound/outbound.service';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { FakeSmtpServer, type ReceivedMail } from '../fakes/smtp.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';
import { gmailForward } from '../factories/email.factory';

type Mail = ConstructorParameters<typeof MailComposer>[0];

/** The agent's real defaults (the harness otherwise turns questions off). */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};

const MAIL_FROM = 'questions@helpdesk.test';
const STAFF = 'lee@support.shopfront.test';

const tag = () => randomBytes(3).toString('hex');

async function compose(mail: Mail): Promise<Buffer> {
  return new MailComposer({ to: 'bugs@repro.test', ...mail }).compile().build();
}

/** A Gmail-style forward of a customer's vague mail (the agent will have questions). */
function forward(customer: string, subject: string, words: string): Mail {
  return {
    from: `Lee Support <${STAFF}>`,
    subject: `Fwd: ${subject}`,
    text: gmailForward({ note: 'Can you look at this one?', customer, subject, words }),
  };
}

/** What a customer's mail client sends when they press Reply: new words, the question quoted. */
function replyTo(question: ReceivedMail, from: string, words: string, headers = true): Mail {
  const quoted = question.parsed
    .text!.trim()
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  const references = [question.parsed.references ?? []].flat();
  return {
    from,
    to: question.parsed.replyTo!.value[0].address!,
    subject: headers ? question.parsed.subject! : 'my answer',
    ...(headers
      ? {
          inReplyTo: question.parsed.messageId!,
          references: [...references, question.parsed.messageId!],
        }
      : {}),
    text: `${words}\n\nOn Mon, 7 Dec 2026 at 10:02, Repro <${MAIL_FROM}> wrote:\n${quoted}\n`,
  };
}

const ANSWER =
  '1. The spinner keeps turning and the old choice stays.\n2. Open Settings, then Notifications, untick Weekly digest and press Save. I expected the weekly digest to be switched off.';

describe('questions by email: asked over SMTP, answered by reply, never twice, never a loop', () => {
  let h: Harness;
  let app: RunningApp;
  let smtp: FakeSmtpServer;
  let projects: ProjectsService;

  beforeAll(async () => {
    smtp = new FakeSmtpServer();
    await smtp.start();
    h = await createHarness(AGENT_DEFAULTS);
    app = await h.start('all', { SMTP_URL: smtp.url, MAIL_FROM });
    projects = new ProjectsService(h.db);
  });
  afterAll(async () => {
    await h.close();
    await smtp.stop();
  });

  /** A project of its own per test, so dedupe never joins two tests' reports. */
  async function project(questionsTo: 'reporter' | 'forwarder' = 'reporter') {
    const p = await createProject(h.db, `Shop ${tag()}`);
    await projects.updateEmailSettings(p.project.slug, {
      staffSenders: ['@support.shopfront.test'],
      questionsTo,
    });
    return p;
  }

  const postMail = (p: TestProject, raw: Buffer) =>
    request(app.url)
      .post('/v1/emails')
      .set(p.auth)
      .set('Content-Type', 'message/rfc822')
      .send(raw)
      .expect(202);

  const questionsFor = (address: string, count = 1) =>
    waitFor(() => smtp.to(address).length >= count && smtp.to(address), {
      what: `${count} question mail(s) to ${address}`,
    });

  const audit = (reportId: string, event: string) =>
    h.db.getRepository(PipelineEvent).find({ where: { reportId, event }, order: { id: 'ASC' } });

  const status = async (p: TestProject, id: string) =>
    ((await request(app.url).get(`/v1/reports/${id}`).set(p.auth).expect(200)).body as ReportView)
      .status;

  /** A vague staff forward, until the question reaches `to`. */
  async function forwardedAndAsked(p: TestProject, customer: string, to = customer) {
    const subject = `Notifications broken ${tag()}`;
    const raw = await compose(
      forward(`Bea Buyer <${customer}>`, subject, 'notification settings are broken'),
    );
    const res = await postMail(p, raw);
    const reportId = res.body.id as string;
    const [question] = await questionsFor(to);
    return {
      reportId,
      raw,
      subject,
      question,
      forwardId: /Message-ID: <([^>]+)>/i.exec(raw.toString())![1],
    };
  }

  it('asks the customer by email, threaded, and files the report with the answer from their reply', async () => {
    const p = await project();
    const customer = `bea.${tag()}@somestore.test`;
    const { reportId, subject, question, forwardId } = await forwardedAndAsked(p, customer);

    // The question, as the customer's mail client sees it.
    expect(question.envelope.to).toEqual([customer]);
    expect(question.parsed.from?.value[0].address).toBe(MAIL_FROM);
    expect(question.parsed.subject).toBe(`Re: ${subject}`);
    expect(question.parsed.messageId).toMatch(/^<q\.[0-9a-f-]+@repro\.helpdesk\.test>$/);
    expect(question.parsed.inReplyTo).toBe(`<${forwardId}>`);
    expect([question.parsed.references].flat()).toEqual([`<${forwardId}>`]);
    const replyAddress = question.parsed.replyTo!.value[0].address!;
    expect(replyAddress).toMatch(/^questions\+r_[0-9a-f]{32}@helpdesk\.test$/);
    expect(question.parsed.text).toMatch(/what exactly happens/i);
    expect(await status(p, reportId)).toBe('clarifying');

    const reply = await postMail(p, await compose(replyTo(question, customer, ANSWER)));
    expect(reply.body).toMatchObject({ id: reportId, email: { status: 'answer' } });

    const filed = await waitForReport(app.url, p.auth, reportId, 'filed');
    expect(filed.triage?.facts.expected?.value).toMatch(/weekly digest to be switched off/);
    // The answer joined the conversation without the quoted question.
    const messages = await h.db
      .getRepository(ReportMessage)
      .find({ where: { reportId }, order: { createdAt: 'ASC' } });
    expect(messages.map((m) => [m.author, m.channel])).toEqual([
      ['agent', 'api'],
      ['reporter', 'email'],
    ]);
    expect(messages[1].body).toContain('Weekly digest');
    expect(messages[1].body).not.toMatch(/wrote:|^>/m);
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: reportId });
    expect(issue.body).toMatch(/weekly digest to be switched off/);
    // One question, one mail.
    expect(smtp.to(customer)).toHaveLength(1);
  });

  it('asks the staff member who forwarded the report when the project says so', async () => {
    const p = await project('forwarder');
    const customer = `cid.${tag()}@somestore.test`;
    const { reportId, question } = await forwardedAndAsked(p, customer, STAFF);
    expect(question.envelope.to).toEqual([STAFF]);
    expect(smtp.to(customer)).toHaveLength(0);
    // The staff member answers for the customer.
    const reply = await postMail(p, await compose(replyTo(question, `Lee <${STAFF}>`, ANSWER)));
    expect(reply.body).toMatchObject({ id: reportId, email: { status: 'answer' } });
    await waitForReport(app.url, p.auth, reportId, 'filed');
  });

  it('routes a reply by its reply address alone when the client dropped the threading headers', async () => {
    const p = await project();
    const customer = `dee.${tag()}@somestore.test`;
    const { reportId, question } = await forwardedAndAsked(p, customer);
    const bare = await compose(replyTo(question, customer, ANSWER, false));
    expect(bare.toString()).not.toMatch(/In-Reply-To|References/i);
    const reply = await postMail(p, bare);
    expect(reply.body).toMatchObject({ id: reportId, email: { status: 'answer' } });
    await waitForReport(app.url, p.auth, reportId, 'filed');
  });

  it('takes a reply delivered twice at once (a provider retry racing the first) as one answer', async () => {
    const p = await project();
    const customer = `fin.${tag()}@somestore.test`;
    const { reportId, question } = await forwardedAndAsked(p, customer);
    const raw = await compose(replyTo(question, customer, ANSWER));
    const both = await Promise.all([postMail(p, raw), postMail(p, raw)]);
    expect(both.map((r) => r.body.id)).toEqual([reportId, reportId]);
    expect(both.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(1);
    const answers = await h.db
      .getRepository(ReportMessage)
      .countBy({ reportId, author: 'reporter' });
    expect(answers).toBe(1);
    const replyId = /Message-ID: <([^>]+)>/i.exec(raw.toString())![1];
    expect(
      await h.db
        .getRepository(EmailMessage)
        .countBy({ projectId: p.project.id, messageId: replyId }),
    ).toBe(1);
    await waitForReport(app.url, p.auth, reportId, 'filed');
  });

  it('never takes an auto-reply or its own question coming back for an answer', async () => {
    const p = await project();
    const customer = `eve.${tag()}@somestore.test`;
    const { reportId, question } = await forwardedAndAsked(p, customer);

    const outOfOffice = await compose({
      ...replyTo(question, customer, 'I am out of the office until Monday.'),
      subject: `Automatic reply: ${question.parsed.subject}`,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const auto = await postMail(p, outOfOffice);
    expect(auto.body).toMatchObject({ email: { status: 'ignored', reason: 'auto_reply' } });

    // The question itself delivered back to Repro (a forwarding loop).
    const own = await postMail(p, question.raw);
    expect(own.body).toMatchObject({ id: null, email: { status: 'ignored' } });

    expect(await status(p, reportId)).toBe('clarifying');
    const answers = await h.db
      .getRepository(ReportMessage)
      .countBy({ reportId, author: 'reporter' });
    expect(answers).toBe(0);
    // And Repro asked nothing more because of them.
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.to(customer)).toHaveLength(1);
  });

  it('sends the same mail again, never a different one, when the worker dies between sending and recording', async () => {
    const p = await project();
    const outbound = app.app.get(OutboundService, { strict: false });
    // The first attempt's record fails after the SMTP server took the mail (as a crash would).
    const mark = jest
      .spyOn(outbound, 'markSent')
      .mockRejectedValueOnce(new Error('worker died before recording'));
    try {
      const customer = `fay.${tag()}@somestore.test`;
      const { reportId } = await forwardedAndAsked(p, customer);
      const both = await questionsFor(customer, 2);
      const [first, second] = both;
      expect(second.parsed.messageId).toBe(first.parsed.messageId);
      expect(second.parsed.subject).toBe(first.parsed.subject);
      expect(second.parsed.text).toBe(first.parsed.text);
      expect(second.parsed.replyTo?.text).toBe(first.parsed.replyTo?.text);
      expect(second.parsed.date?.getTime()).toBe(first.parsed.date?.getTime());

      const row = await waitFor(
        () => h.db.getRepository(OutboundEmail).findOneBy({ reportId, status: 'sent' }),
        { what: 'the mail recorded as sent' },
      );
      expect(await audit(reportId, 'questions_emailed')).toHaveLength(1);
      // A sent mail is never sent again, however often its job runs.
      expect(await outbound.send(row.id)).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.to(customer)).toHaveLength(2);
    } finally {
      mark.mockRestore();
    }
  });

  it('retries while the SMTP server says try later, and gives up visibly on a permanent refusal', async () => {
    const p = await project();
    // A widget/API report with the reporter's address gets its questions by email too.
    const ask = async (email: string) => {
      const res = await request(app.url)
        .post('/v1/reports')
        .set(p.auth)
        .send({
          description: `export settings are broken ${tag()}`,
          page: { url: `https://app.shop.test/settings/export/${tag()}` },
          reporter: { email, name: 'Gus' },
        })
        .expect(202);
      return res.body.id as string;
    };

    smtp.failNext(2, 421, 'Service not available, try later');
    const later = `gus.${tag()}@somestore.test`;
    const laterId = await ask(later);
    const [delivered] = await questionsFor(later);
    expect(delivered.parsed.subject).toBe('Re: Your bug report');
    expect(smtp.refused.filter((r) => r.to.includes(later)).map((r) => r.code)).toEqual([421, 421]);
    // The mail is recorded as sent just after the server took it: wait for that record.
    const emailed = await waitFor(
      async () => {
        const rows = await audit(laterId, 'questions_emailed');
        return rows.length ? rows : undefined;
      },
      { what: 'the sent mail on the report' },
    );
    expect(emailed).toHaveLength(1);

    smtp.failNext(1, 550, 'No such user here');
    const gone = `nobody.${tag()}@somestore.test`;
    const goneId = await ask(gone);
    const [failure] = await waitFor(
      async () => {
        const rows = await audit(goneId, 'questions_email_failed');
        return rows.length ? rows : undefined;
      },
      { what: 'the failed mail on the report' },
    );
    expect(failure.reason).toMatch(new RegExp(`Could not email the questions to ${gone}: 550`));
    expect(failure.reason).not.toContain(smtp.url);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(smtp.refused.filter((r) => r.to.includes(gone))).toHaveLength(1);
    expect(smtp.to(gone)).toHaveLength(0);
    const row = await h.db.getRepository(OutboundEmail).findOneByOrFail({ reportId: goneId });
    expect(row.status).toBe('failed');
    // The report still waits for its answer (the widget can still take it).
    expect(await status(p, goneId)).toBe('clarifying');
  });
});
