import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { Reporter } from '../../src/modules/accounts/entities/reporter.entity';
import { EmailMessage } from '../../src/modules/email/entities/email-message.entity';
import { hashApiKey } from '../../src/modules/projects/api-key';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { reproInProcess } from '../support/process';
import { gmailForward } from '../factories/email.factory';

type Mail = ConstructorParameters<typeof MailComposer>[0];

const tag = () => randomBytes(3).toString('hex');
const compose = (mail: Mail): Promise<Buffer> =>
  new MailComposer({ to: 'bugs@repro.test', ...mail }).compile().build();
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const POSTMARK_PASSWORD = `pm-${randomBytes(12).toString('hex')}`;
const SENDGRID_PASSWORD = `sg-${randomBytes(12).toString('hex')}`;
const MAILGUN_KEY = `key-${randomBytes(16).toString('hex')}`;

/** What Mailgun adds to a route's POST: a fresh token, the time, and their HMAC. */
function mailgunSigned(key = MAILGUN_KEY, timestamp = Math.floor(Date.now() / 1000)) {
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', key).update(`${timestamp}${token}`).digest('hex');
  return { timestamp: String(timestamp), token, signature };
}

function forwardText(customer: string, subject: string, words: string): string {
  return gmailForward({ note: 'Please look at this one.', customer, subject, words });
}

describe('email provider webhooks: Postmark, SendGrid and Mailgun file the same reports as POST /v1/emails', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let hooks: string;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api', { EMAIL_MAX_BYTES: 300_000 });
    acme = await createProject(h.db);
    const projects = new ProjectsService(h.db);
    await projects.updateEmailSettings(acme.project.slug, { staffSenders: ['@shopfront.test'] });
    await projects.updateEmailWebhookSecrets(acme.project.slug, {
      postmarkPasswordHash: hashApiKey(POSTMARK_PASSWORD),
      sendgridPasswordHash: hashApiKey(SENDGRID_PASSWORD),
      mailgunSigningKey: MAILGUN_KEY,
    });
    hooks = `/v1/emails/webhooks/${acme.project.slug}`;
  });
  afterAll(() => h.close());

  const postRaw = (raw: Buffer) =>
    request(app.url)
      .post('/v1/emails')
      .set(acme.auth)
      .set('Content-Type', 'message/rfc822')
      .send(raw);
  const postmark = (body: unknown, password = POSTMARK_PASSWORD) =>
    request(app.url)
      .post(`${hooks}/postmark`)
      .set('Authorization', basic('postmark', password))
      .send(body as object);
  const reportOf = (id: string) => h.db.getRepository(Report).findOneByOrFail({ id });
  const reporterOf = async (id: string) =>
    h.db.getRepository(Reporter).findOneByOrFail({ id: (await reportOf(id)).reporterId! });
  const stored = async () => ({
    reports: await h.db.getRepository(Report).countBy({ projectId: acme.project.id }),
    emails: await h.db.getRepository(EmailMessage).countBy({ projectId: acme.project.id }),
  });

  describe('Postmark', () => {
    it('rebuilds a forward from the JSON fields: a report about the original customer, the same one POST /v1/emails files for that mail', async () => {
      const words = `The export button downloads an empty file (${tag()}).`;
      const messageId = `<pm-${tag()}@mail.shopfront.test>`;
      const text = forwardText('Dora Dealer <dora@dealer.test>', 'Empty export', words);
      const res = await postmark({
        FromName: 'Sam Staff',
        From: 'sam@shopfront.test',
        FromFull: { Email: 'sam@shopfront.test', Name: 'Sam Staff', MailboxHash: '' },
        To: 'bugs@repro.test',
        ToFull: [{ Email: 'bugs@repro.test', Name: '', MailboxHash: '' }],
        Cc: '',
        CcFull: [],
        Subject: 'Fwd: Empty export',
        MessageID: '5f0c5a57-postmark-delivery-id',
        Date: 'Mon, 7 Dec 2026 10:02:00 +0000',
        MailboxHash: '',
        TextBody: text,
        HtmlBody: '',
        StrippedTextReply: '',
        Tag: '',
        Headers: [
          { Name: 'X-Spam-Status', Value: 'No' },
          { Name: 'Message-ID', Value: messageId },
        ],
        Attachments: [
          {
            Name: 'notes.txt',
            Content: Buffer.from('steps written down').toString('base64'),
            ContentType: 'text/plain',
            ContentLength: 18,
          },
        ],
      }).expect(200);
      expect(res.body).toMatchObject({ status: 'received', email: { status: 'report' } });
      const report = await reportOf(res.body.id);
      expect(report.description).toContain(words);
      expect(await reporterOf(report.id)).toMatchObject({ email: 'dora@dealer.test' });
      const mail = await h.db.getRepository(EmailMessage).findOneByOrFail({ reportId: report.id });
      expect(`<${mail.messageId}>`).toBe(messageId);
      expect(mail.attachments).toEqual([expect.objectContaining({ filename: 'notes.txt' })]);

      // The same mail (its Message-ID) arriving as raw MIME answers the same report.
      const before = await stored();
      const raw = await compose({
        from: 'Sam Staff <sam@shopfront.test>',
        subject: 'Fwd: Empty export',
        messageId,
        text,
      });
      const again = await postRaw(raw).expect(202);
      expect(again.body.id).toBe(res.body.id);
      expect(await stored()).toEqual(before);
    });

    it('takes RawEmail as it is when the server includes it; the raw mail by POST is the same report', async () => {
      const words = `Dark mode turns the charts invisible (${tag()}).`;
      const raw = await compose({
        from: 'Erin Enduser <erin@customer.test>',
        subject: 'Charts gone',
        text: words,
      });
      const res = await postmark({
        From: 'erin@customer.test',
        Subject: 'something else entirely',
        TextBody: 'the parsed fields are not what is read when RawEmail is there',
        Headers: [],
        Attachments: [],
        RawEmail: raw.toString('utf8'),
      }).expect(200);
      expect((await reportOf(res.body.id)).description).toContain(words);
      expect(await reporterOf(res.body.id)).toMatchObject({ email: 'erin@customer.test' });
      const direct = await postRaw(raw).expect(202);
      expect(direct.body.id).toBe(res.body.id);
      expect(direct.headers['idempotent-replayed']).toBe('true');
    });

    it('answers 401 without the password or with a wrong one, and stores nothing', async () => {
      const before = await stored();
      const body = { From: 'x@customer.test', Subject: 'hi', TextBody: 'no', Headers: [] };
      const none = await request(app.url).post(`${hooks}/postmark`).send(body).expect(401);
      expect(none.body.error.code).toBe('UNAUTHORIZED');
      expect(none.headers['www-authenticate']).toMatch(/^Basic/);
      const wrong = await postmark(body, `${POSTMARK_PASSWORD}x`).expect(401);
      expect(wrong.body.error.code).toBe('UNAUTHORIZED');
      expect(JSON.stringify(wrong.body)).not.toContain(POSTMARK_PASSWORD);
      // SendGrid's password is not Postmark's, and an unknown project looks the same.
      await postmark(body, SENDGRID_PASSWORD).expect(401);
      await request(app.url)
        .post(`/v1/emails/webhooks/no-such-project-${tag()}/postmark`)
        .set('Authorization', basic('postmark', POSTMARK_PASSWORD))
        .send(body)
        .expect(401);
      expect(await stored()).toEqual(before);
    });

    it('answers 400 for a body that is not JSON or a payload without a sender', async () => {
      const before = await stored();
      const bad = await request(app.url)
        .post(`${hooks}/postmark`)
        .set('Authorization', basic('postmark', POSTMARK_PASSWORD))
        .set('Content-Type', 'application/json')
        .send('{"From": ')
        .expect(400);
      expect(bad.body.error.code).toBe('MALFORMED_JSON');
      const noSender = await postmark({ Subject: 'who?', TextBody: 'x', Headers: [] }).expect(400);
      expect(noSender.body.error.code).toBe('INVALID_EMAIL');
      expect(await stored()).toEqual(before);
    });
  });

  describe('SendGrid Inbound Parse', () => {
    const sendgrid = (password = SENDGRID_PASSWORD) =>
      request(app.url).post(`${hooks}/sendgrid`).set('Authorization', basic('sendgrid', password));

    it('takes the raw MIME in the email field ("POST the raw, full MIME message")', async () => {
      const words = `Invoices show yesterday's date (${tag()}).`;
      const raw = await compose({
        from: 'Finn Finance <finn@ledger.test>',
        subject: 'Wrong invoice date',
        text: words,
      });
      const res = await sendgrid()
        .field('to', 'bugs@repro.test')
        .field('from', 'Finn Finance <finn@ledger.test>')
        .field('subject', 'Wrong invoice date')
        .field('envelope', JSON.stringify({ to: ['bugs@repro.test'], from: 'finn@ledger.test' }))
        .field('email', raw.toString('latin1'))
        .expect(200);
      expect((await reportOf(res.body.id)).description).toContain(words);
      expect((await postRaw(raw).expect(202)).body.id).toBe(res.body.id);
    });

    it('rebuilds a parsed post from its fields, each read in its charset, with its attachment', async () => {
      const words = `Le menu du café affiche mal les accents: déjà, çà, où (${tag()}).`;
      const messageId = `<sg-${tag()}@mail.customer.test>`;
      // Built by hand: SendGrid sends each text part as bytes in the mail's own charset, with no
      // Content-Type of its own, and names the charsets in `charsets`.
      const boundary = `xYzZY${tag()}`;
      const part = (name: string, value: Buffer | string, file?: string) =>
        Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"\r\nContent-Type: text/plain` : ''}\r\n\r\n`,
          ),
          Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'),
          Buffer.from('\r\n'),
        ]);
      const body = Buffer.concat([
        part(
          'headers',
          [
            'Received: by mx.sendgrid.net with SMTP id abc',
            `Message-ID: ${messageId}`,
            'Date: Mon, 7 Dec 2026 11:00:00 +0000',
            'From: Gil Guest <gil@customer.test>',
            'To: bugs@repro.test',
            'Subject: Accents broken',
            'MIME-Version: 1.0',
            'Content-Type: multipart/mixed; boundary="xyz"',
          ].join('\n'),
        ),
        part('from', 'Gil Guest <gil@customer.test>'),
        part('to', 'bugs@repro.test'),
        part('subject', 'Accents broken'),
        part('text', Buffer.from(words, 'latin1')),
        part(
          'charsets',
          JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: 'UTF-8', text: 'iso-8859-1' }),
        ),
        part('attachments', '1'),
        part('attachment1', 'menu page screenshot', 'menu.txt'),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
      const res = await sendgrid()
        .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
        .send(body)
        .expect(200);
      const report = await reportOf(res.body.id);
      expect(report.description).toContain(words);
      expect(await reporterOf(report.id)).toMatchObject({ email: 'gil@customer.test' });
      const mail = await h.db.getRepository(EmailMessage).findOneByOrFail({ reportId: report.id });
      expect(`<${mail.messageId}>`).toBe(messageId);
      expect(mail.attachments).toEqual([expect.objectContaining({ filename: 'menu.txt' })]);
    });

    it('answers 401 with a wrong password and stores nothing', async () => {
      const before = await stored();
      const res = await sendgrid(POSTMARK_PASSWORD)
        .field('from', 'x@customer.test')
        .field('text', 'no')
        .expect(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(await stored()).toEqual(before);
    });
  });

  describe('Mailgun routes', () => {
    it('takes body-mime when the route forwards to a URL ending in mime', async () => {
      const words = `Password reset mails never arrive (${tag()}).`;
      const raw = await compose({
        from: 'Hana Helper <hana@shopfront.test>',
        subject: 'Fwd: No reset mail',
        text: forwardText('Ivo Ignored <ivo@buyer.test>', 'No reset mail', words),
      });
      const signed = mailgunSigned();
      const res = await request(app.url)
        .post(`${hooks}/mailgun/mime`)
        .field('recipient', 'bugs@repro.test')
        .field('sender', 'hana@shopfront.test')
        .field('from', 'Hana Helper <hana@shopfront.test>')
        .field('subject', 'Fwd: No reset mail')
        .field('body-mime', raw.toString('latin1'))
        .field('timestamp', signed.timestamp)
        .field('token', signed.token)
        .field('signature', signed.signature)
        .expect(200);
      expect((await reportOf(res.body.id)).description).toContain(words);
      expect(await reporterOf(res.body.id)).toMatchObject({ email: 'ivo@buyer.test' });
      expect((await postRaw(raw).expect(202)).body.id).toBe(res.body.id);
    });

    it('rebuilds the parsed fields (urlencoded, no attachments); the same mail by POST is the same report', async () => {
      const words = `Coupons apply twice at checkout (${tag()}).`;
      const messageId = `<mg-${tag()}@mail.shopper.test>`;
      const date = 'Mon, 7 Dec 2026 12:30:00 +0000';
      const res = await request(app.url)
        .post(`${hooks}/mailgun`)
        .type('form')
        .send({
          recipient: 'bugs@repro.test',
          sender: 'jo@shopper.test',
          from: 'Jo Shopper <jo@shopper.test>',
          subject: 'Double coupon',
          'body-plain': words,
          'stripped-text': words,
          'message-headers': JSON.stringify([
            ['Received', 'by mxa.mailgun.org'],
            ['Message-Id', messageId],
            ['Date', date],
            ['From', 'Jo Shopper <jo@shopper.test>'],
            ['To', 'bugs@repro.test'],
            ['Subject', 'Double coupon'],
          ]),
          ...mailgunSigned(),
        })
        .expect(200);
      expect((await reportOf(res.body.id)).description).toContain(words);
      expect(await reporterOf(res.body.id)).toMatchObject({ email: 'jo@shopper.test' });
      const raw = await compose({
        from: 'Jo Shopper <jo@shopper.test>',
        subject: 'Double coupon',
        messageId,
        date: new Date(date),
        text: words,
      });
      expect((await postRaw(raw).expect(202)).body.id).toBe(res.body.id);
    });

    it('answers a mail refused for good with 406 (Mailgun stops retrying on it), its code kept', async () => {
      const before = await stored();
      const res = await request(app.url)
        .post(`${hooks}/mailgun`)
        .type('form')
        .send({ subject: 'No sender', 'body-plain': 'Who sent this?', ...mailgunSigned() })
        .expect(406);
      expect(res.body.error.code).toBe('INVALID_EMAIL');
      expect(await stored()).toEqual(before);
    });

    it('refuses a post over the size limit: 413 for Postmark, 406 PAYLOAD_TOO_LARGE for Mailgun', async () => {
      const before = await stored();
      const huge = 'x'.repeat(800_000);
      const pm = await postmark({ From: 'big@customer.test', TextBody: huge, Headers: [] });
      expect([pm.status, pm.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const mg = await request(app.url)
        .post(`${hooks}/mailgun/mime`)
        .field('body-mime', `From: big@customer.test\r\n\r\n${huge}`)
        .field('timestamp', mailgunSigned().timestamp);
      expect([mg.status, mg.body.error?.code]).toEqual([406, 'PAYLOAD_TOO_LARGE']);
      expect(await stored()).toEqual(before);
    });

    describe('refuses what is not signed by Mailgun just now, once: 401 BAD_SIGNATURE, nothing stored', () => {
      const fields = (signature: Record<string, string>) => ({
        from: 'Kim Kind <kim@shopper.test>',
        subject: 'Signed?',
        'body-plain': `Maybe a forgery (${tag()}).`,
        ...signature,
      });
      const mailgun = (body: Record<string, string>) =>
        request(app.url).post(`${hooks}/mailgun`).type('form').send(body);

      it.each([
        ['unsigned', () => ({})],
        ['signed with another key', () => mailgunSigned(`key-${randomBytes(16).toString('hex')}`)],
        [
          'signed but tampered',
          () => ({ ...mailgunSigned(), token: randomBytes(25).toString('hex') }),
        ],
        [
          'signed ten hours ago (past Mailgun’s 8 hours of retries)',
          () => mailgunSigned(MAILGUN_KEY, Math.floor(Date.now() / 1000) - 10 * 3600),
        ],
      ])('%s', async (_name, signature) => {
        const before = await stored();
        const res = await mailgun(fields(signature())).expect(401);
        expect(res.body.error.code).toBe('BAD_SIGNATURE');
        expect(JSON.stringify(res.body)).not.toContain(MAILGUN_KEY);
        expect(await stored()).toEqual(before);
      });

      it('but takes a retry of the very same signed post, hours later, as the same report', async () => {
        const post = fields(mailgunSigned(MAILGUN_KEY, Math.floor(Date.now() / 1000) - 3 * 3600));
        const first = await mailgun(post).expect(200);
        const before = await stored();
        const retry = await mailgun(post).expect(200);
        expect(retry.body.id).toBe(first.body.id);
        expect(retry.headers['idempotent-replayed']).toBe('true');
        expect(await stored()).toEqual(before);
      });

      it('replayed: the same signature with another mail', async () => {
        const signed = mailgunSigned();
        await mailgun(fields(signed)).expect(200);
        const before = await stored();
        const replay = await mailgun(fields(signed)).expect(401);
        expect(replay.body.error.code).toBe('BAD_SIGNATURE');
        expect(await stored()).toEqual(before);
      });
    });
  });

  describe('a spoofed staff address: the provider’s failing SPF/DKIM verdict makes it the sender’s own report', () => {
    // The same forward from "staff", failing or passing the provider's checks.
    const forward = (words: string) =>
      forwardText('Vic Victim <vic@customer.test>', 'Broken export', words);
    const expectDirect = async (id: string) =>
      expect(await reporterOf(id)).toMatchObject({ email: 'sam@shopfront.test' });
    const expectForward = async (id: string) =>
      expect(await reporterOf(id)).toMatchObject({ email: 'vic@customer.test' });

    it('Postmark: Received-SPF Fail is direct, Pass (aligned envelope) is a staff forward', async () => {
      const post = (result: string, words: string) =>
        postmark({
          From: 'sam@shopfront.test',
          FromFull: { Email: 'sam@shopfront.test', Name: 'Sam Staff' },
          Subject: 'Fwd: Broken export',
          TextBody: forward(words),
          Headers: [
            {
              Name: 'Received-SPF',
              Value: `${result} (sender SPF) identity=mailfrom; client-ip=203.0.113.9; helo=mx.test; envelope-from=sam@shopfront.test; receiver=inbound.postmarkapp.com`,
            },
            { Name: 'Message-ID', Value: `<pm-auth-${tag()}@shopfront.test>` },
          ],
        }).expect(200);
      await expectDirect((await post('Fail', `Spoofed (${tag()}).`)).body.id);
      await expectForward((await post('Pass', `Genuine (${tag()}).`)).body.id);
    });

    it('SendGrid: SPF softfail with a failing signature is direct, an aligned DKIM pass is a staff forward', async () => {
      const post = async (spf: string, dkim: string, words: string) =>
        request(app.url)
          .post(`${hooks}/sendgrid`)
          .set('Authorization', basic('sendgrid', SENDGRID_PASSWORD))
          .field('from', 'Sam Staff <sam@shopfront.test>')
          .field('SPF', spf)
          .field('dkim', dkim)
          .field(
            'envelope',
            JSON.stringify({ to: ['bugs@repro.test'], from: 'sam@shopfront.test' }),
          )
          .field(
            'email',
            (
              await compose({
                from: 'Sam Staff <sam@shopfront.test>',
                subject: 'Fwd: Broken export',
                text: forward(words),
              })
            ).toString('latin1'),
          )
          .expect(200);
      await expectDirect(
        (await post('softfail', '{@shopfront.test : fail}', `Spoofed (${tag()}).`)).body.id,
      );
      await expectForward(
        (await post('pass', '{@shopfront.test : pass}', `Genuine (${tag()}).`)).body.id,
      );
    });

    it('Mailgun: X-Mailgun-Spf Fail and a failing DKIM check are direct, Pass is a staff forward', async () => {
      const post = (spf: string, dkim: string, words: string) =>
        request(app.url)
          .post(`${hooks}/mailgun`)
          .type('form')
          .send({
            sender: 'sam@shopfront.test',
            from: 'Sam Staff <sam@shopfront.test>',
            subject: 'Fwd: Broken export',
            'body-plain': forward(words),
            'message-headers': JSON.stringify([
              ['X-Mailgun-Spf', spf],
              ['X-Mailgun-Dkim-Check-Result', dkim],
              ['DKIM-Signature', 'v=1; a=rsa-sha256; d=shopfront.test; s=k1; bh=x; b=y'],
              ['Message-Id', `<mg-auth-${tag()}@shopfront.test>`],
              ['From', 'Sam Staff <sam@shopfront.test>'],
            ]),
            ...mailgunSigned(),
          })
          .expect(200);
      await expectDirect((await post('Fail', 'Fail', `Spoofed (${tag()}).`)).body.id);
      await expectForward((await post('Pass', 'Pass', `Genuine (${tag()}).`)).body.id);
    });
  });

  describe('SendGrid signed Inbound Parse (a verification key set): the signature replaces the password', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    let signedProject: TestProject;
    let url: string;

    beforeAll(async () => {
      signedProject = await createProject(h.db, 'Signed');
      await h.db.query('UPDATE projects SET email_sendgrid_public_key = $1 WHERE id = $2', [
        publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        signedProject.project.id,
      ]);
      await new ProjectsService(h.db).updateEmailWebhookSecrets(signedProject.project.slug, {
        sendgridPasswordHash: hashApiKey(SENDGRID_PASSWORD),
      });
      url = `/v1/emails/webhooks/${signedProject.project.slug}/sendgrid`;
    });

    const signedCount = () =>
      h.db.getRepository(EmailMessage).countBy({ projectId: signedProject.project.id });

    /** A real multipart Inbound Parse body, as SendGrid posts it. */
    async function parseBody(words: string) {
      const boundary = `xYzZY${tag()}`;
      const raw = await compose({
        from: 'Una User <una@customer.test>',
        subject: 'Signed',
        text: words,
      });
      const part = (name: string, value: string) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const body = Buffer.from(
        part('from', 'Una User <una@customer.test>') +
          part('SPF', 'pass') +
          part('email', raw.toString('latin1')) +
          `--${boundary}--\r\n`,
        'latin1',
      );
      return { body, contentType: `multipart/form-data; boundary=${boundary}` };
    }

    const signedPost = (
      body: Buffer,
      contentType: string,
      signature: { timestamp: string; value: string } | null,
    ) => {
      const req = request(app.url).post(url).set('Content-Type', contentType);
      if (signature) {
        req
          .set('X-Twilio-Email-Event-Webhook-Timestamp', signature.timestamp)
          .set('X-Twilio-Email-Event-Webhook-Signature', signature.value);
      }
      return req.send(body);
    };

    const signatureOf = (body: Buffer, key = privateKey, at = Math.floor(Date.now() / 1000)) => ({
      timestamp: String(at),
      value: sign('sha256', Buffer.concat([Buffer.from(String(at)), body]), key).toString('base64'),
    });

    it('files a post signed with the policy’s key, without any password', async () => {
      const words = `Signed mail arrives (${tag()}).`;
      const { body, contentType } = await parseBody(words);
      const res = await signedPost(body, contentType, signatureOf(body)).expect(200);
      expect((await reportOf(res.body.id)).description).toContain(words);
      // The same signed post again (SendGrid's retry): the same report, nothing new.
      const before = await signedCount();
      const retry = await signedPost(body, contentType, signatureOf(body)).expect(200);
      expect(retry.body.id).toBe(res.body.id);
      expect(await signedCount()).toBe(before);
    });

    it.each([
      ['unsigned, even with the right password', 'none'],
      ['signed with another key', 'other-key'],
      ['signed over another body', 'tampered'],
      ['signed four days ago (past SendGrid’s 3 days of retries)', 'stale'],
    ])('refuses a post %s: 401 BAD_SIGNATURE, nothing stored', async (_name, kind) => {
      const { body, contentType } = await parseBody(`Maybe forged (${tag()}).`);
      const before = await signedCount();
      const signature =
        kind === 'none'
          ? null
          : kind === 'other-key'
            ? signatureOf(body, otherKey)
            : kind === 'tampered'
              ? signatureOf(Buffer.concat([body, Buffer.from(' ')]))
              : signatureOf(body, privateKey, Math.floor(Date.now() / 1000) - 4 * 24 * 3600);
      const req = signedPost(body, contentType, signature);
      if (kind === 'none') req.set('Authorization', basic('sendgrid', SENDGRID_PASSWORD));
      const res = await req.expect(401);
      expect(res.body.error.code).toBe('BAD_SIGNATURE');
      expect(await signedCount()).toBe(before);
    });
  });

  it('answers 2xx only once the mail is committed: a failed write is a 5xx with nothing kept, and the provider’s retry files it', async () => {
    await h.db.query(
      `CREATE FUNCTION refuse_mail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`,
    );
    await h.db.query(
      `CREATE TRIGGER refuse_mail BEFORE INSERT ON email_messages FOR EACH ROW WHEN (NEW.subject LIKE 'Fails once%') EXECUTE FUNCTION refuse_mail()`,
    );
    const words = `The calendar skips February (${tag()}).`;
    const mailgunPost = {
      from: 'Ola Owner <ola@calendar.test>',
      subject: 'Fails once: calendar',
      'body-plain': words,
      ...mailgunSigned(),
    };
    const postmarkPost = {
      From: 'pia@calendar.test',
      Subject: 'Fails once: dates',
      TextBody: `Dates show in the wrong zone (${tag()}).`,
      Headers: [],
    };
    const send = () =>
      Promise.all([
        request(app.url).post(`${hooks}/mailgun`).type('form').send(mailgunPost),
        postmark(postmarkPost),
      ]);
    try {
      const before = await stored();
      const failed = await send();
      expect(failed.map((res) => res.status)).toEqual([500, 500]);
      expect(await stored()).toEqual(before);
    } finally {
      await h.db.query('DROP TRIGGER refuse_mail ON email_messages');
      await h.db.query('DROP FUNCTION refuse_mail()');
    }
    const retried = await send();
    expect(retried.map((res) => res.status)).toEqual([200, 200]);
    expect((await reportOf(retried[0].body.id)).description).toContain(words);
    expect(await reporterOf(retried[1].body.id)).toMatchObject({ email: 'pia@calendar.test' });
  });

  it('repro email sets a generated Postmark password, shown once in a URL that then works', async () => {
    const cli = await createProject(h.db, 'Hooks');
    const run = await reproInProcess(
      [
        'email',
        '--project',
        cli.project.slug,
        '--postmark-password',
        'new',
        '--mailgun-signing-key',
        MAILGUN_KEY,
      ],
      { ...h.env, LOG_LEVEL: 'silent' },
    );
    expect(run.code).toBe(0);
    const url = new RegExp(
      `(https?)://postmark:([^@\\s]+)@[^\\s]+/v1/emails/webhooks/${cli.project.slug}/postmark`,
    ).exec(run.stdout);
    expect(url).not.toBeNull();
    expect(run.stdout).toContain(`/v1/emails/webhooks/${cli.project.slug}/mailgun/mime`);
    expect(run.stdout).not.toContain(MAILGUN_KEY);
    const words = `Profile photo upload fails (${tag()}).`;
    await request(app.url)
      .post(`/v1/emails/webhooks/${cli.project.slug}/postmark`)
      .set('Authorization', basic('postmark', url![2]))
      .send({ From: 'lu@customer.test', Subject: 'Upload', TextBody: words, Headers: [] })
      .expect(200);
    // Shown once: a second run shows a placeholder, never the password.
    const again = await reproInProcess(['email', '--project', cli.project.slug], {
      ...h.env,
      LOG_LEVEL: 'silent',
    });
    expect(again.stdout).toContain('postmark:<password>@');
    expect(again.stdout).not.toContain(url![2]);
  });

  it('answers 429 once an address, or a project’s webhooks, are over their limit', async () => {
    const limited = await h.start('api', {
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: 4,
      RATE_LIMIT_EMAIL_WEBHOOKS_PER_MINUTE: 2,
      QUEUE_PREFIX: `${h.config.QUEUE_PREFIX}rl`,
    });
    const send = (project: string) =>
      request(limited.url)
        .post(`/v1/emails/webhooks/${project}/postmark`)
        .set('Authorization', basic('postmark', POSTMARK_PASSWORD))
        .send({
          From: 'mo@customer.test',
          Subject: 'Busy',
          TextBody: `again ${tag()}`,
          Headers: [],
        });
    const answers: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await send(acme.project.slug);
      answers.push(`${res.status} ${res.body.error?.details?.limit ?? '-'}`);
      if (res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Every request counts against the address, a refused one too.
    await send(`other-${tag()}`).expect(401);
    const overAddress = await send(acme.project.slug);
    answers.push(`${overAddress.status} ${overAddress.body.error?.details?.limit ?? '-'}`);
    expect(answers).toEqual(['200 -', '200 -', '429 emailWebhook', '429 address']);
  });
});
