import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { DNSResolver } from 'mailauth';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { loadConfig } from '../../src/config/config.schema';
import { Reporter } from '../../src/modules/accounts/entities/reporter.entity';
import { ReportMessage } from '../../src/modules/conversation/entities/report-message.entity';
import { EmailMessage } from '../../src/modules/email/entities/email-message.entity';
import { OutboundEmail } from '../../src/modules/email/outbound/entities/outbound-email.entity';
import { EmailService } from '../../src/modules/email/email.service';
import { SmtpDns, SmtpListener } from '../../src/modules/email/smtp/smtp-listener.service';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { gmailForward } from '../factories/email.factory';

const DOMAIN = 'in.repro.test';
const tag = () => randomBytes(4).toString('hex');

// The key a staff domain signs with; the fake DNS serves its public half.
const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DKIM_SELECTOR = 'mail2026';
const dkimPublic = dkimKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dkimPrivate = dkimKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * DNS as mailauth asks it (TXT records as arrays of strings, like dns.resolveTxt): the test's
 * own zone, ENOTFOUND for every other name, so nothing reaches the network. Queries are kept.
 *
 * - shopfront.test lets 127.0.0.1 send (SPF) and publishes DMARC p=reject;
 * - staffco.test lets only 192.0.2.10 send, signs with DKIM, and publishes DMARC p=reject.
 */
function fakeDns(): { resolver: DNSResolver; asked: string[] } {
  const zone: Record<string, string[]> = {
    'TXT shopfront.test': ['v=spf1 ip4:127.0.0.1 -all'],
    'TXT _dmarc.shopfront.test': ['v=DMARC1; p=reject'],
    'TXT staffco.test': ['v=spf1 ip4:192.0.2.10 -all'],
    'TXT _dmarc.staffco.test': ['v=DMARC1; p=reject'],
    [`TXT ${DKIM_SELECTOR}._domainkey.staffco.test`]: [`v=DKIM1; k=rsa; p=${dkimPublic}`],
  };
  const asked: string[] = [];
  const resolver: DNSResolver = (domain, rrtype) => {
    const key = `${rrtype} ${domain.toLowerCase()}`;
    asked.push(key);
    const records = zone[key];
    if (!records) {
      return Promise.reject(
        Object.assign(new Error(`queryTxt ENOTFOUND ${domain}`), { code: 'ENOTFOUND' }),
      );
    }
    // A long TXT record is split in 255-character strings, as DNS returns it.
    return Promise.resolve(
      rrtype === 'TXT' ? records.map((r) => r.match(/.{1,255}/g) ?? []) : records,
    );
  };
  return { resolver, asked };
}

function forwardText(note: string, customer: string, subject: string, words: string): string {
  return gmailForward({ note, customer, subject, words, date: 'Mon, 7 Dec 2026 at 10:02' });
}

describe('SMTP listener: mail delivered by SMTP becomes reports, senders checked', () => {
  let h: Harness;
  let app: RunningApp;
  let shop: TestProject;
  let strict: TestProject;
  let port: number;
  let dns: ReturnType<typeof fakeDns>;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api', {
      // Port 0: a free port, read back from the listener.
      EMAIL_SMTP_PORT: 0,
      EMAIL_SMTP_HOST: '127.0.0.1',
      EMAIL_SMTP_DOMAIN: DOMAIN,
      EMAIL_MAX_BYTES: 40_000,
      MAIL_FROM: 'questions@repro.test',
    });
    dns = fakeDns();
    app.app.get(SmtpDns).resolver = dns.resolver;
    port = app.app.get(SmtpListener).address()!.port;
    const projects = new ProjectsService(h.db);
    shop = await createProject(h.db, 'Shop');
    strict = await createProject(h.db, 'Strict');
    for (const p of [shop, strict]) {
      await projects.updateEmailSettings(p.project.slug, {
        staffSenders: ['@shopfront.test', '@staffco.test'],
        ...(p === strict ? { unknownSenders: 'refuse' as const } : {}),
      });
    }
  });
  afterAll(() => h.close());

  const transport = (options: Partial<SMTPTransport.Options> = {}) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      name: 'mx.sender.test',
      ...options,
    });

  /** The mail row and report a Message-ID produced in a project (null when nothing was stored). */
  const stored = async (messageId: string, project: TestProject = shop) => {
    const email = await h.db
      .getRepository(EmailMessage)
      .findOneBy({ projectId: project.project.id, messageId });
    const report = email?.reportId
      ? await h.db.getRepository(Report).findOneByOrFail({ id: email.reportId })
      : null;
    const reporter = report?.reporterId
      ? await h.db.getRepository(Reporter).findOneByOrFail({ id: report.reporterId })
      : null;
    return { email, report, reporter };
  };

  it('files a staff forward whose domain vouches for it (SPF, DMARC) as the customer’s report', async () => {
    const id = `${tag()}@shopfront.test`;
    const words = `The export button downloads an empty file (${tag()}).`;
    const info = await transport().sendMail({
      from: 'Lina Lead <lina@shopfront.test>',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Fwd: Empty export',
      messageId: `<${id}>`,
      text: forwardText(
        'Big customer, please hurry.',
        'Omar Owner <omar@store.test>',
        'Empty export',
        words,
      ),
    });
    expect(info.response).toMatch(/^250 /);
    const { email, report, reporter } = await stored(id);
    expect(reporter).toMatchObject({ email: 'omar@store.test', name: 'Omar Owner' });
    expect(report!.source).toBe('email');
    expect(report!.description).toContain(words);
    expect(report!.description).not.toContain('Big customer');
    expect(email).toMatchObject({
      forwardedBy: 'lina@shopfront.test',
      staffNote: 'Big customer, please hurry.',
    });
    // The checks asked the fake zone, never the network.
    expect(dns.asked).toContain('TXT shopfront.test');
    expect(dns.asked).toContain('TXT _dmarc.shopfront.test');
  });

  it('accepts reports+<slug>@ too', async () => {
    const id = `${tag()}@shopfront.test`;
    await transport().sendMail({
      from: 'lina@shopfront.test',
      to: `reports+${shop.project.slug}@${DOMAIN}`,
      subject: 'Search is slow',
      messageId: `<${id}>`,
      text: 'Search takes ten seconds on the orders page.',
    });
    expect((await stored(id)).report).not.toBeNull();
  });

  it('refuses a mail to an unknown recipient at RCPT TO: 550, nothing stored', async () => {
    const before = await h.db.getRepository(EmailMessage).count();
    const sending = transport().sendMail({
      from: 'lina@shopfront.test',
      to: [`no-such-project@${DOMAIN}`],
      subject: 'Hello',
      text: 'Anyone there?',
    });
    await expect(sending).rejects.toMatchObject({ responseCode: 550, command: 'RCPT TO' });
    await expect(
      transport().sendMail({
        from: 'lina@shopfront.test',
        to: `${shop.project.slug}@elsewhere.test`,
        text: 'x',
      }),
    ).rejects.toMatchObject({ responseCode: 550 });
    expect(await h.db.getRepository(EmailMessage).count()).toBe(before);
  });

  it('refuses a mail over EMAIL_MAX_BYTES with 552, nothing stored', async () => {
    const id = `${tag()}@shopfront.test`;
    const sending = transport().sendMail({
      from: 'lina@shopfront.test',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Huge log',
      messageId: `<${id}>`,
      text: 'Log attached.',
      attachments: [{ filename: 'big.log', content: randomBytes(60_000).toString('hex') }],
    });
    await expect(sending).rejects.toMatchObject({ responseCode: 552 });
    expect((await stored(id)).email).toBeNull();
  });

  it('also refuses an oversized mail whose client does not declare SIZE (checked on DATA)', async () => {
    const id = `${tag()}@shopfront.test`;
    const raw = [
      'From: lina@shopfront.test',
      `To: ${shop.project.slug}@${DOMAIN}`,
      `Message-ID: <${id}>`,
      'Subject: Huge paste',
      '',
      'x'.repeat(50_000),
      '',
    ].join('\r\n');
    const reply = await rawSmtp(port, [
      'EHLO raw.sender.test',
      'MAIL FROM:<lina@shopfront.test>',
      `RCPT TO:<${shop.project.slug}@${DOMAIN}>`,
      'DATA',
      `${raw}\r\n.`,
      'QUIT',
    ]);
    expect(reply).toMatch(/^552 /m);
    expect((await stored(id)).email).toBeNull();
  });

  it('never trusts a spoofed staff address that fails SPF and DMARC: the forward is the sender’s own report', async () => {
    const id = `${tag()}@staffco.test`;
    const words = `Please refund order 5512 to my new card (${tag()}).`;
    const info = await transport().sendMail({
      // staffco.test is on the staff list, but it lets only 192.0.2.10 send and this is unsigned.
      from: 'Sam Staff <sam@staffco.test>',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Fwd: refund',
      messageId: `<${id}>`,
      text: forwardText('Approved, go ahead.', 'Vic Victim <vic@store.test>', 'refund', words),
    });
    expect(info.response).toMatch(/^250 /);
    const { email, reporter } = await stored(id);
    expect(reporter).toMatchObject({ email: 'sam@staffco.test' });
    expect(email).toMatchObject({ forwardedBy: null, staffNote: null });
  });

  it('refuses that spoofed forward with 550 where the project refuses unknown senders', async () => {
    const id = `${tag()}@staffco.test`;
    const sending = transport().sendMail({
      from: 'sam@staffco.test',
      to: `${strict.project.slug}@${DOMAIN}`,
      subject: 'Fwd: refund',
      messageId: `<${id}>`,
      text: forwardText('Go.', 'vic@store.test', 'refund', 'Refund me.'),
    });
    await expect(sending).rejects.toMatchObject({ responseCode: 550 });
    expect((await stored(id, strict)).email).toBeNull();
  });

  it('trusts a DKIM-signed forward from the same staff domain (SPF fails, the signature passes)', async () => {
    const id = `${tag()}@staffco.test`;
    const words = `Coupons are applied twice at checkout (${tag()}).`;
    const info = await transport({
      dkim: { domainName: 'staffco.test', keySelector: DKIM_SELECTOR, privateKey: dkimPrivate },
    }).sendMail({
      from: 'Sam Staff <sam@staffco.test>',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Fwd: coupons',
      messageId: `<${id}>`,
      text: forwardText('Seen twice today.', 'Una User <una@store.test>', 'coupons', words),
    });
    expect(info.response).toMatch(/^250 /);
    const { email, report, reporter } = await stored(id);
    expect(reporter).toMatchObject({ email: 'una@store.test' });
    expect(report!.description).toContain(words);
    expect(email).toMatchObject({ forwardedBy: 'sam@staffco.test' });
    expect(dns.asked).toContain(`TXT ${DKIM_SELECTOR}._domainkey.staffco.test`);
  });

  it('does not trust a signature made with another key than the domain publishes', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const id = `${tag()}@staffco.test`;
    await transport({
      dkim: { domainName: 'staffco.test', keySelector: DKIM_SELECTOR, privateKey: other },
    }).sendMail({
      from: 'sam@staffco.test',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Fwd: payout',
      messageId: `<${id}>`,
      text: forwardText(
        'Pay her.',
        'Mal Actor <mal@store.test>',
        'payout',
        'Send the payout to me.',
      ),
    });
    const { email, reporter } = await stored(id);
    expect(reporter).toMatchObject({ email: 'sam@staffco.test' });
    expect(email).toMatchObject({ forwardedBy: null });
  });

  it('routes a reply to Repro’s question (MAIL_FROM plus-addressed) to the report it answers', async () => {
    // A report in the non-default project, and the question Repro sent about it (an `out` row).
    const first = `${tag()}@shopfront.test`;
    await transport().sendMail({
      from: 'lina@shopfront.test',
      to: `${strict.project.slug}@${DOMAIN}`,
      subject: 'Labels print blank',
      messageId: `<${first}>`,
      text: 'Shipping labels come out blank on the Zebra printer.',
    });
    const { report } = await stored(first, strict);
    const question = `${tag()}@repro.test`;
    await h.db.getRepository(EmailMessage).insert({
      projectId: strict.project.id,
      direction: 'out',
      messageId: question,
      contentHash: tag(),
      reportId: report!.id,
      status: 'sent',
    });
    const id = `${tag()}@shopfront.test`;
    const info = await transport().sendMail({
      from: 'lina@shopfront.test',
      to: `questions+r_${tag()}@repro.test`,
      subject: 'Re: Labels print blank',
      messageId: `<${id}>`,
      inReplyTo: `<${question}>`,
      references: [`<${question}>`],
      text: 'Only on Windows, since Monday.\n\n> Which computer do you print from?',
    });
    expect(info.response).toMatch(/^250 /);
    const reply = await stored(id, strict);
    expect(reply.email).toMatchObject({ reportId: report!.id });
    expect(reply.email!.status).not.toBe('report');
    expect((await stored(id)).email).toBeNull();
  });

  it('routes a reply by its reply token alone (no threading headers) to the question’s project', async () => {
    const first = `${tag()}@shopfront.test`;
    await transport().sendMail({
      from: 'lina@shopfront.test',
      to: `${strict.project.slug}@${DOMAIN}`,
      subject: 'Totals wrong',
      messageId: `<${first}>`,
      text: 'The order total ignores the discount.',
    });
    const { report } = await stored(first, strict);
    const question = await h.db.getRepository(ReportMessage).save({
      reportId: report!.id,
      author: 'agent',
      body: 'Which discount code did you use?',
      channel: 'email',
    });
    const token = randomBytes(16).toString('hex');
    await h.db.getRepository(OutboundEmail).insert({
      projectId: strict.project.id,
      reportId: report!.id,
      questionId: question.id,
      messageId: `${tag()}@repro.repro.test`,
      replyToken: token,
      toAddress: 'lina@shopfront.test',
      subject: 'Re: Totals wrong',
      body: question.body,
      status: 'sent',
    });
    const id = `${tag()}@shopfront.test`;
    const info = await transport().sendMail({
      from: 'lina@shopfront.test',
      to: `questions+r_${token}@repro.test`,
      subject: 'Re: Totals wrong',
      messageId: `<${id}>`,
      text: 'The code was WINTER10.',
    });
    expect(info.response).toMatch(/^250 /);
    expect((await stored(id, strict)).email).toMatchObject({ reportId: report!.id });
  });

  it('answers 451 when the mail could not be stored, and stores it once on the retry', async () => {
    const emails = app.app.get(EmailService);
    const receive = jest
      .spyOn(emails, 'receive')
      .mockRejectedValueOnce(new Error('connection to the database lost'));
    const id = `${tag()}@shopfront.test`;
    const mail = {
      from: 'lina@shopfront.test',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Refunds stuck',
      messageId: `<${id}>`,
      text: 'Refunds stay pending for days.',
    };
    try {
      const failed = transport().sendMail(mail);
      await expect(failed).rejects.toMatchObject({ responseCode: 451 });
      await expect(failed).rejects.not.toThrow(/database/);
      expect((await stored(id)).email).toBeNull();
      // The sending server retries later.
      expect((await transport().sendMail(mail)).response).toMatch(/^250 /);
    } finally {
      receive.mockRestore();
    }
    expect((await stored(id)).report).not.toBeNull();
  });

  it('makes one report of the same mail delivered twice', async () => {
    const id = `${tag()}@shopfront.test`;
    const mail = {
      from: 'lina@shopfront.test',
      to: `${shop.project.slug}@${DOMAIN}`,
      subject: 'Fwd: Dark mode',
      messageId: `<${id}>`,
      date: new Date('2026-12-07T10:00:00Z'),
      text: forwardText(
        '',
        'Pia Pay <pia@store.test>',
        'Dark mode',
        `Dark mode hides the prices (${tag()}).`,
      ),
    };
    const first = await transport().sendMail(mail);
    const second = await transport().sendMail(mail);
    expect(first.response).toMatch(/^250 /);
    expect(second.response).toMatch(/^250 /);
    const rows = await h.db
      .getRepository(EmailMessage)
      .findBy({ projectId: shop.project.id, messageId: id });
    expect(rows).toHaveLength(1);
    const reports = await h.db
      .getRepository(Report)
      .countBy({ projectId: shop.project.id, id: rows[0].reportId! });
    expect(reports).toBe(1);
  });
});

describe('SMTP listener: rate limit per client IP', () => {
  let h: Harness;
  afterAll(() => h?.close());

  it('answers 451 past EMAIL_SMTP_MESSAGES_PER_MINUTE from one address', async () => {
    h = await createHarness();
    const app = await h.start('api', {
      EMAIL_SMTP_PORT: 0,
      EMAIL_SMTP_HOST: '127.0.0.1',
      EMAIL_SMTP_DOMAIN: DOMAIN,
      EMAIL_SMTP_MESSAGES_PER_MINUTE: 2,
    });
    app.app.get(SmtpDns).resolver = fakeDns().resolver;
    const project = await createProject(h.db, 'Busy');
    const send = () =>
      nodemailer
        .createTransport({
          host: '127.0.0.1',
          port: app.app.get(SmtpListener).address()!.port,
          ignoreTLS: true,
        })
        .sendMail({
          from: 'lina@shopfront.test',
          to: `${project.project.slug}@${DOMAIN}`,
          subject: `Mail ${tag()}`,
          text: `Words ${tag()}`,
        });
    await send();
    await send();
    await expect(send()).rejects.toMatchObject({ responseCode: 451, command: 'MAIL FROM' });
    expect(await h.db.getRepository(EmailMessage).countBy({ projectId: project.project.id })).toBe(
      2,
    );
  });
});

describe('SMTP listener: off by default', () => {
  let h: Harness;
  afterAll(() => h?.close());

  it('opens no SMTP port unless EMAIL_SMTP_PORT is set, and wants a domain with it', async () => {
    h = await createHarness();
    expect(h.config.EMAIL_SMTP_PORT).toBeUndefined();
    const app = await h.start('api');
    expect(app.app.get(SmtpListener).address()).toBeNull();
    expect(() => loadConfig({ EMAIL_SMTP_PORT: '2525' })).toThrow(/EMAIL_SMTP_DOMAIN/);
  });
});

/** Speaks SMTP line by line (no client library: this client never declares SIZE); returns all replies. */
function rawSmtp(port: number, commands: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    let received = '';
    let next = 0;
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      received += data;
      // Each complete reply (a line "NNN text") lets the next command go.
      const replies = received.match(/^\d{3} .*$/gm)?.length ?? 0;
      // The greeting, then one reply per command; DATA's content gets its reply after the dot.
      if (replies > next && next < commands.length) socket.write(`${commands[next++]}\r\n`);
    });
    socket.on('end', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}
