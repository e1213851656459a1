import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { Reporter } from '../../src/modules/accounts/entities/reporter.entity';
import { Account } from '../../src/modules/accounts/entities/account.entity';
import { ReportMessage } from '../../src/modules/conversation/entities/report-message.entity';
import { EmailMessage } from '../../src/modules/email/entities/email-message.entity';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { reproInProcess } from '../support/process';
import { waitForReport } from '../support/reports';
import { gmailForward } from '../factories/email.factory';

type Mail = ConstructorParameters<typeof MailComposer>[0];

/** A raw MIME message as a mail client would send it (a fresh Message-ID unless given). */
async function compose(mail: Mail): Promise<Buffer> {
  return new MailComposer({ to: 'bugs@repro.test', ...mail }).compile().build();
}

const tag = () => randomBytes(3).toString('hex');

function forwardText(note: string, customer: string, subject: string, words: string): string {
  return gmailForward({ note, customer, subject, words });
}

/** A HAR file with one failed save and one good request. */
function harFile(): string {
  const entry = (method: string, url: string, status: number) => ({
    startedDateTime: '2026-12-07T09:40:00.000Z',
    time: 120,
    request: { method, url, headers: [] },
    response: { status, headers: [] },
  });
  return JSON.stringify({
    log: {
      version: '1.2',
      entries: [
        entry('GET', 'https://shop.test/api/cart', 200),
        entry('POST', 'https://shop.test/api/checkout?token=secret', 502),
      ],
    },
  });
}

// A tiny valid PNG (1×1 pixel).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('POST /v1/emails: a mail becomes a report about the right customer', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let projects: ProjectsService;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all', { EMAIL_MAX_BYTES: 200_000, EMAIL_ATTACHMENT_MAX_BYTES: 50_000 });
    projects = new ProjectsService(h.db);
    acme = await createProject(h.db);
    await projects.updateEmailSettings(acme.project.slug, {
      staffSenders: ['lead@shopfront.test', '@support.shopfront.test'],
      domainAccounts: { 'bigcustomer.test': 'acct_big' },
    });
  });
  afterAll(() => h.close());

  const post = (raw: Buffer | string, project: TestProject = acme) =>
    request(app.url)
      .post('/v1/emails')
      .set(project.auth)
      .set('Content-Type', 'message/rfc822')
      .send(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));

  const view = async (id: string) =>
    (await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200)).body as ReportView;

  const reporterOf = async (id: string) => {
    const report = await h.db.getRepository(Report).findOneByOrFail({ id });
    return h.db.getRepository(Reporter).findOneByOrFail({ id: report.reporterId! });
  };

  const stored = async () => ({
    reports: await h.db.getRepository(Report).countBy({ projectId: acme.project.id }),
    emails: await h.db.getRepository(EmailMessage).countBy({ projectId: acme.project.id }),
  });

  it('files a staff forward as a report about the original customer, the note kept apart', async () => {
    const words = `The invoice page stays blank when I open last month's invoices (${tag()}).`;
    const note = 'She is one of our largest stores, please look soon.';
    const raw = await compose({
      from: 'Lee Lead <lead@shopfront.test>',
      subject: 'Fwd: Invoices blank',
      text: forwardText(note, 'Bea Buyer <bea@somestore.test>', 'Invoices blank', words),
    });
    const res = await post(raw).expect(202);
    expect(res.body).toMatchObject({ status: 'received', email: { status: 'report' } });
    expect(res.body.statusUrl).toBe(`${h.config.PUBLIC_URL}/v1/reports/${res.body.id}`);

    const report = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
    expect(report.source).toBe('email');
    expect(report.description).toContain(words);
    expect(report.description).toContain('Invoices blank');
    // The staff note is context, not the customer's words.
    expect(report.description).not.toContain(note);
    const reporter = await reporterOf(report.id);
    expect(reporter).toMatchObject({ email: 'bea@somestore.test', name: 'Bea Buyer' });

    const shown = await view(report.id);
    expect(shown.email).toMatchObject({
      forwardedBy: 'Lee Lead <lead@shopfront.test>',
      staffNote: note,
      from: 'Bea Buyer <bea@somestore.test>',
      originalSubject: 'Invoices blank',
    });

    await waitForReport(app.url, acme.auth, report.id, 'filed');
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: report.id });
    expect(issue.body).toContain('Forwarded by Lee Lead');
    expect(issue.body).toContain(note);
    expect(issue.body).toContain('`bea@somestore.test`');
  });

  it('files a mail sent straight by a customer as their report', async () => {
    const words = `Checkout spins forever after I press Pay (${tag()}).`;
    const res = await post(
      await compose({
        from: 'Carl Client <carl@elsewhere.test>',
        subject: 'Cannot pay',
        text: words,
      }),
    ).expect(202);
    const report = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
    expect(report.description).toContain('Cannot pay');
    expect(report.description).toContain(words);
    expect(await reporterOf(report.id)).toMatchObject({ email: 'carl@elsewhere.test' });
    expect((await view(report.id)).email).toMatchObject({ forwardedBy: null, staffNote: null });
  });

  it('does not trust a forward from someone off the staff list: it is their own report', async () => {
    const words = `My colleague cannot log in at all (${tag()}).`;
    const raw = await compose({
      // Looks like staff, is not on the list (a different domain).
      from: 'Lee Lead <lead@shopfront-help.test>',
      subject: 'Fwd: Login',
      text: forwardText('Please act on this.', 'Dan Doe <dan@victim.test>', 'Login', words),
    });
    const res = await post(raw).expect(202);
    const report = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
    expect(await reporterOf(report.id)).toMatchObject({ email: 'lead@shopfront-help.test' });
    expect(report.description).toContain(words);
    expect((await view(report.id)).email).toMatchObject({ forwardedBy: null, staffNote: null });
  });

  it('refuses unknown senders when the project says so: 403, nothing stored', async () => {
    const strict = await createProject(h.db, 'Strict');
    await projects.updateEmailSettings(strict.project.slug, {
      staffSenders: ['@strict.test'],
      unknownSenders: 'refuse',
    });
    const res = await post(
      await compose({ from: 'eve@outside.test', subject: 'Hello', text: 'Something broke.' }),
      strict,
    ).expect(403);
    expect(res.body.error).toMatchObject({
      code: 'SENDER_NOT_ALLOWED',
      details: { field: 'From' },
    });
    expect(await h.db.getRepository(Report).countBy({ projectId: strict.project.id })).toBe(0);
    expect(await h.db.getRepository(EmailMessage).countBy({ projectId: strict.project.id })).toBe(
      0,
    );
    // Staff of that project still get through.
    await post(
      await compose({ from: 'ops@strict.test', subject: 'Broken', text: 'The export fails.' }),
      strict,
    ).expect(202);
  });

  it('answers a second delivery of the same mail with the same report, and stores one', async () => {
    const raw = await compose({
      from: 'fay@repeat.test',
      subject: 'Search is empty',
      text: `Search finds nothing for any word (${tag()}).`,
    });
    const first = await post(raw).expect(202);
    const before = await stored();
    const [again, concurrent] = await Promise.all([post(raw), post(raw)]);
    for (const res of [again, concurrent]) {
      expect(res.status).toBe(202);
      expect(res.body.id).toBe(first.body.id);
      expect(res.headers['idempotent-replayed']).toBe('true');
    }
    // The same mail through another way in (gzip, no Message-ID change): still the same report.
    const gz = await request(app.url)
      .post('/v1/emails')
      .set(acme.auth)
      .set('Content-Type', 'message/rfc822')
      .set('Content-Encoding', 'gzip')
      .send(gzipSync(raw))
      .expect(202);
    expect(gz.body.id).toBe(first.body.id);
    expect(await stored()).toEqual(before);
  });

  it('keeps an out-of-office answer and a bounce as ignored mail, never a report', async () => {
    const before = await stored();
    const ooo = await post(
      await compose({
        from: 'gus@away.test',
        subject: 'Out of office',
        text: 'I am away until Monday.',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    ).expect(202);
    expect(ooo.body).toMatchObject({ id: null, status: 'ignored', statusUrl: null });
    expect(ooo.body.email).toMatchObject({ status: 'ignored', reason: 'auto_reply' });
    const bounce = await post(
      await compose({
        from: 'MAILER-DAEMON@mx.away.test',
        subject: 'Undelivered Mail Returned to Sender',
        text: 'This is the mail system. Your message could not be delivered.',
      }),
    ).expect(202);
    expect(bounce.body.email).toMatchObject({ status: 'ignored', reason: 'bounce' });
    const after = await stored();
    expect(after.reports).toBe(before.reports);
    expect(after.emails).toBe(before.emails + 2);
  });

  it("joins a reply to Repro's own mail to that report's conversation, no new report", async () => {
    const [{ id: reportId }] = await h.db.query<{ id: string }[]>(
      `INSERT INTO reports (project_id, source, description, status)
       VALUES ($1, 'email', 'The export button does nothing', 'clarifying') RETURNING id`,
      [acme.project.id],
    );
    const asked = `question-${tag()}@repro.test`;
    await h.db.query(
      `INSERT INTO email_messages (project_id, direction, message_id, content_hash, report_id, status, subject)
       VALUES ($1, 'out', $2, $3, $4, 'sent', 'Re: The export button does nothing')`,
      [acme.project.id, asked, `hash-${asked}`, reportId],
    );
    const before = await stored();
    const answer = 'It happens on every report I try, since Tuesday.';
    const res = await post(
      await compose({
        from: 'hal@customer.test',
        subject: 'Re: The export button does nothing',
        inReplyTo: `<${asked}>`,
        references: [`<${asked}>`],
        text: `${answer}\n\nOn Mon, 7 Dec 2026 at 10:00, Repro <bugs@repro.test> wrote:\n> Which page were you on?\n`,
      }),
    ).expect(202);
    expect(res.body).toMatchObject({ id: reportId, email: { status: 'answer' } });
    const messages = await h.db.getRepository(ReportMessage).findBy({ reportId });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ author: 'reporter', channel: 'email' });
    expect(messages[0].body).toContain(answer);
    expect(messages[0].body).not.toContain('Which page were you on?');
    expect((await stored()).reports).toBe(before.reports);
  });

  it('links the reporter to an account by the domain map and by an account’s own domains', async () => {
    const mapped = await post(
      await compose({
        from: 'ivy@bigcustomer.test',
        subject: 'Slow',
        text: `Reports load slowly (${tag()}).`,
      }),
    ).expect(202);
    const report = await h.db.getRepository(Report).findOneByOrFail({ id: mapped.body.id });
    const account = await h.db.getRepository(Account).findOneByOrFail({ id: report.accountId! });
    expect(account.externalId).toBe('acct_big');

    await h.db.query(
      `INSERT INTO accounts (project_id, external_id, name, email_domains) VALUES ($1, 'acct_known', 'Known Co', '{known.test}')`,
      [acme.project.id],
    );
    const known = await post(
      await compose({
        from: 'jo@known.test',
        subject: 'Broken',
        text: `The map is grey (${tag()}).`,
      }),
    ).expect(202);
    const second = await h.db.getRepository(Report).findOneByOrFail({ id: known.body.id });
    const knownAccount = await h.db
      .getRepository(Account)
      .findOneByOrFail({ id: second.accountId! });
    expect(knownAccount.externalId).toBe('acct_known');
  });

  it('reads an HTML-only mail and a windows-1252 mail into readable words', async () => {
    const html = await post(
      await compose({
        from: 'kim@html.test',
        subject: 'Upload fails',
        html: '<div><p>The <b>upload</b> stops at 99&nbsp;percent.</p></div>',
      }),
    ).expect(202);
    const htmlReport = await h.db.getRepository(Report).findOneByOrFail({ id: html.body.id });
    expect(htmlReport.description).toMatch(/The upload stops at 99\s+percent\./);
    expect(htmlReport.description).not.toContain('<b>');

    const legacy = [
      'From: Lou <lou@legacy.test>',
      'To: bugs@repro.test',
      `Message-ID: <legacy-${tag()}@legacy.test>`,
      'Subject: Price wrong',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=windows-1252',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'The caf=E9 menu shows 5 =80 instead of 4 =80 =96 every time.',
      '',
    ].join('\r\n');
    const res = await post(legacy).expect(202);
    const report = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
    expect(report.description).toContain('The café menu shows 5 € instead of 4 € – every time.');
  });

  it("lists a screenshot and turns a .har file's failed requests into evidence", async () => {
    const res = await post(
      await compose({
        from: 'mo@shop.test',
        subject: 'Checkout broken',
        text: `Paying fails with an error (${tag()}).`,
        attachments: [
          { filename: 'screen.png', content: PNG, contentType: 'image/png' },
          { filename: 'session.har', content: harFile(), contentType: 'application/json' },
        ],
      }),
    ).expect(202);
    const shown = await view(res.body.id);
    const email = shown.email as {
      attachments: { filename: string; kind: string; size: number }[];
      failedRequests: { method: string; url: string; status: number }[];
    };
    expect(email.attachments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ filename: 'screen.png', kind: 'image', size: PNG.length }),
        expect.objectContaining({ filename: 'session.har', kind: 'har' }),
      ]),
    );
    // Only the failed request, without its query string (tokens live there).
    expect(email.failedRequests).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: 'https://shop.test/api/checkout',
        status: 502,
      }),
    ]);
    await waitForReport(app.url, acme.auth, res.body.id, 'filed');
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: res.body.id });
    expect(issue.body).toContain('`screen.png`');
    expect(issue.body).toContain('POST https://shop.test/api/checkout');
    expect(issue.body).not.toContain('token=secret');
  });

  it('repro email sets the staff list and domain map that the next mail is read with', async () => {
    const cli = await createProject(h.db, 'Cli');
    const run = await reproInProcess(
      [
        'email',
        '--project',
        cli.project.slug,
        '--staff',
        'Boss@cliteam.test,@helpdesk.test',
        '--domain-accounts',
        'payer.test=acct_payer',
        '--questions-to',
        'forwarder',
      ],
      { ...h.env, LOG_LEVEL: 'silent' },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${h.config.PUBLIC_URL}/v1/emails`);
    expect(run.stdout).toContain('Staff senders: boss@cliteam.test, @helpdesk.test');
    expect(run.stdout).toContain('Domain accounts: payer.test=acct_payer');
    expect(run.stdout).toContain('Questions to: forwarder');
    const bad = await reproInProcess(
      ['email', '--project', cli.project.slug, '--staff', 'nobody'],
      {
        ...h.env,
        LOG_LEVEL: 'silent',
      },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--staff');

    const words = `Refunds never arrive (${tag()}).`;
    const res = await post(
      await compose({
        from: 'Ola Agent <ola@helpdesk.test>',
        subject: 'Fwd: Refund',
        text: forwardText('Customer is upset.', 'Pia Payer <pia@payer.test>', 'Refund', words),
      }),
      cli,
    ).expect(202);
    const report = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
    expect(await reporterOf(report.id)).toMatchObject({ email: 'pia@payer.test' });
    const account = await h.db.getRepository(Account).findOneByOrFail({ id: report.accountId! });
    expect(account.externalId).toBe('acct_payer');
  });

  describe('bad input gets a clear 4xx and stores nothing', () => {
    let before: { reports: number; emails: number };
    beforeEach(async () => {
      before = await stored();
    });
    afterEach(async () => {
      expect(await stored()).toEqual(before);
    });

    it('415 for a body that is not message/rfc822', async () => {
      const res = await request(app.url)
        .post('/v1/emails')
        .set(acme.auth)
        .set('Content-Type', 'application/json')
        .send({ from: 'x@y.test' })
        .expect(415);
      expect(res.body.error).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        details: { field: 'Content-Type' },
      });
    });

    it('400 INVALID_EMAIL for text that is not a MIME message', async () => {
      const res = await post('just some words, no headers at all\n').expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_EMAIL', details: { field: 'body' } });
    });

    it('400 INVALID_EMAIL for a mail with no sender', async () => {
      const res = await post(
        'To: bugs@repro.test\r\nSubject: Who am I\r\n\r\nNo From here.\r\n',
      ).expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_EMAIL', details: { field: 'From' } });
    });

    it('413 for a mail over EMAIL_MAX_BYTES', async () => {
      const res = await post(
        await compose({ from: 'big@big.test', subject: 'Huge', text: 'x'.repeat(300_000) }),
      ).expect(413);
      expect(res.body.error).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        details: { field: 'body' },
      });
    });

    it('413 for a small gzip body that inflates past the limit', async () => {
      const bomb = gzipSync(
        Buffer.concat([Buffer.from('From: bomb@big.test\r\n\r\n'), Buffer.alloc(50_000_000, 0x41)]),
      );
      expect(bomb.length).toBeLessThan(200_000);
      const res = await request(app.url)
        .post('/v1/emails')
        .set(acme.auth)
        .set('Content-Type', 'message/rfc822')
        .set('Content-Encoding', 'gzip')
        .send(bomb)
        .expect(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('400 INVALID_EMAIL for a gzip body that does not decode, 415 for an unknown Content-Encoding', async () => {
      const mail = await compose({ from: 'zip@big.test', subject: 'Zip', text: 'Zipped.' });
      const corrupt = gzipSync(mail);
      corrupt.fill(0x7a, 12, 40);
      const bad = await request(app.url)
        .post('/v1/emails')
        .set(acme.auth)
        .set('Content-Type', 'message/rfc822')
        .set('Content-Encoding', 'gzip')
        .send(corrupt)
        .expect(400);
      expect(bad.body.error).toMatchObject({ code: 'INVALID_EMAIL', details: { field: 'body' } });
      const unknown = await request(app.url)
        .post('/v1/emails')
        .set(acme.auth)
        .set('Content-Type', 'message/rfc822')
        .set('Content-Encoding', 'compress')
        .send(mail)
        .expect(415);
      expect(unknown.body.error).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        details: { field: 'Content-Encoding' },
      });
    });

    it('401 without the API key', async () => {
      await request(app.url)
        .post('/v1/emails')
        .set('Content-Type', 'message/rfc822')
        .send(Buffer.from('From: a@b.test\r\n\r\nhi\r\n'))
        .expect(401);
    });
  });

  it('answers 202 only once the report and its mail are committed', async () => {
    const res = await post(
      await compose({
        from: 'ned@now.test',
        subject: 'Now',
        text: `Stored before the answer (${tag()}).`,
      }),
    ).expect(202);
    // Read at once, on another connection: both rows are already there, linked.
    const [row] = await h.db.query<{ id: string; status: string }[]>(
      `SELECT r.id, e.status FROM reports r JOIN email_messages e ON e.report_id = r.id WHERE r.id = $1`,
      [res.body.id],
    );
    expect(row).toEqual({ id: res.body.id, status: 'report' });
    const raw = await h.db
      .getRepository(EmailMessage)
      .createQueryBuilder('e')
      .addSelect('e.raw')
      .where('e.reportId = :id', { id: res.body.id })
      .getOneOrFail();
    expect(raw.raw?.toString('utf8')).toContain('Stored before the answer');
    await waitFor(
      async () => ((await view(res.body.id)).status !== 'received' ? true : undefined),
      {
        what: 'the report to be queued and picked up',
      },
    );
  });
});
