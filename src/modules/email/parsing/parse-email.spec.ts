import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { parseEmail, type ParseEmailOptions } from './parse-email';
import { failedRequestsFromHar } from './har';

const FIXTURES = join(__dirname, '../../../../test/fixtures/email');
const OPTIONS: ParseEmailOptions = {
  maxAttachmentBytes: 1024 * 1024,
  ownAddresses: ['Questions@Repro.example'],
  ownMessageIdDomain: 'mail.repro.example',
};

const customer = { name: 'Nadia Petrova', address: 'nadia.petrova@greenfield-farms.example' };

/** A mail as a real client would put it on the wire, through nodemailer's MailComposer. */
function compose(mail: Mail.Options): Promise<Buffer> {
  return new MailComposer({
    from: customer,
    to: 'bugs@in.repro.example',
    subject: 'The invoice page is blank',
    date: new Date('2023-12-04T10:00:00Z'),
    messageId: '<a1@greenfield-farms.example>',
    text: 'The invoice page is blank since this morning.',
    ...mail,
  })
    .compile()
    .build();
}

const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

// A 1×1 PNG: what a screenshot is to the parser.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const HAR = JSON.stringify({
  log: {
    version: '1.2',
    entries: [
      {
        startedDateTime: '2023-12-04T09:58:01.000Z',
        time: 120,
        request: { method: 'GET', url: 'https://app.greenfield.example/api/invoices?page=1' },
        response: { status: 502 },
      },
      {
        startedDateTime: '2023-12-04T09:58:00.000Z',
        time: 30,
        request: { method: 'GET', url: 'https://app.greenfield.example/' },
        response: { status: 200 },
      },
    ],
  },
});

describe('parseEmail', () => {
  describe('a direct mail', () => {
    it('reads the headers, the sender and the words', async () => {
      const raw = await compose({
        cc: 'Ops <ops@greenfield-farms.example>',
        replyTo: 'billing@greenfield-farms.example',
        inReplyTo: '<q-17@mail.repro.example>',
        references: ['<q-16@mail.repro.example>', '<q-17@mail.repro.example>'],
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail).toMatchObject({
        messageId: 'a1@greenfield-farms.example',
        inReplyTo: 'q-17@mail.repro.example',
        references: ['q-16@mail.repro.example', 'q-17@mail.repro.example'],
        from: customer,
        to: [{ name: null, address: 'bugs@in.repro.example' }],
        cc: [{ name: 'Ops', address: 'ops@greenfield-farms.example' }],
        replyTo: { name: null, address: 'billing@greenfield-farms.example' },
        subject: 'The invoice page is blank',
        date: '2023-12-04T10:00:00.000Z',
        text: 'The invoice page is blank since this morning.',
        newText: 'The invoice page is blank since this morning.',
        forwarded: null,
        automated: null,
        attachments: [],
      });
      expect(mail.contentHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('accepts a Uint8Array as well as a Buffer', async () => {
      const raw = await compose({});
      const fromBuffer = await parseEmail(raw, OPTIONS);
      const fromArray = await parseEmail(new Uint8Array(raw), OPTIONS);
      expect(fromArray).toEqual(fromBuffer);
    });

    it('reads an HTML-only mail as text, without markup, link targets or wrapped lines', async () => {
      const raw = await compose({
        text: undefined,
        html: '<html><body><p>Hello,</p><p>The <b>Download PDF</b> button on <a href="https://app.greenfield.example/invoices/991?sig=abc">invoice 991</a> spins forever and nothing is downloaded, whatever browser I use today.</p><p>Nadia</p></body></html>',
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.text).toBe(
        'Hello,\n\nThe Download PDF button on invoice 991 spins forever and nothing is downloaded, whatever browser I use today.\n\nNadia',
      );
      expect(mail.text).not.toMatch(/<|sig=abc/);
      expect(mail.newText).toContain('spins forever');
    });

    it.each(['quoted-printable', 'base64'])('decodes a %s body', async (encoding) => {
      const words =
        'Beim Speichern erscheint „Fehler 500“ – die Änderungen an der Lieferadresse gehen verloren.';
      const raw = await compose({
        text: words,
        textEncoding: encoding as 'base64' | 'quoted-printable',
      });
      expect(raw.toString('latin1')).toMatch(
        new RegExp(`Content-Transfer-Encoding: ${encoding}`, 'i'),
      );
      // On the wire the umlauts and quotes are encoded: every byte is ASCII.
      expect(raw.every((byte) => byte < 0x80)).toBe(true);
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.text).toBe(words);
    });

    it('decodes a windows-1252 mail, subject and sender name included', async () => {
      const mail = await parseEmail(fixture('charsets/windows-1252.eml'), OPTIONS);
      expect(mail.from).toEqual({ name: 'Renée Duböis', address: 'renee@dubois-cafe.example' });
      expect(mail.subject).toBe('Café menü – prices show €');
      expect(mail.text).toContain('“€ 4,50” for the crème brûlée – then the price cell goes empty');
    });

    it('decodes an ISO-2022-JP mail', async () => {
      const mail = await parseEmail(fixture('charsets/iso-2022-jp.eml'), OPTIONS);
      expect(mail.from).toEqual({
        name: '山田 花子',
        address: 'hanako.yamada@yamada-shoten.example',
      });
      expect(mail.subject).toBe('ログインできません');
      expect(mail.text).toContain('「エラーが発生しました」と表示され、ログインできません。');
      expect(mail.date).toBe('2023-12-06T09:30:00.000Z');
    });
  });

  it.each([
    ['no bytes', Buffer.alloc(0)],
    ['binary noise', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['a JSON body', Buffer.from('{"from":"a@b.example","text":"hi"}')],
  ])('reads %s without throwing: no sender, a hash all the same', async (_label, raw) => {
    const mail = await parseEmail(raw, OPTIONS);
    expect(mail.from).toBeNull();
    expect(mail.forwarded).toBeNull();
    expect(mail.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads deeply nested HTML without overflowing the stack', async () => {
    const html = `${'<div>'.repeat(20_000)}Checkout is broken${'</div>'.repeat(20_000)}`;
    const raw = await compose({ text: undefined, html });
    const mail = await parseEmail(raw, OPTIONS);
    expect(mail.from).toEqual(customer);
  });

  describe('a reply', () => {
    it('keeps only the new words: no quoted history, no signature', async () => {
      const raw = await compose({
        subject: 'Re: A question about your report',
        inReplyTo: '<q-1@mail.repro.example>',
        text: [
          'It happens every time, on Chrome and on the iPad app.',
          '',
          '-- ',
          'Nadia Petrova | Greenfield Farms',
          '+44 20 7946 0000',
          '',
          'On Mon, Dec 4, 2023 at 11:00 AM Repro <questions@repro.example> wrote:',
          '> Does it happen every time you open the invoice page?',
          '>',
          '> Repro',
        ].join('\n'),
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.newText).toBe('It happens every time, on Chrome and on the iPad app.');
      expect(mail.forwarded).toBeNull();
      expect(mail.automated).toBeNull();
      expect(mail.text).toContain('Does it happen every time');
    });

    it('drops a "Sent from my iPhone" line', async () => {
      const raw = await compose({ text: 'Yes, since Friday.\n\nSent from my iPhone' });
      expect((await parseEmail(raw, OPTIONS)).newText).toBe('Yes, since Friday.');
    });

    it.each([
      ['talon-standard_replies-apple_mail.eml', 'Hello'],
      ['talon-standard_replies-yahoo.eml', 'Hello'],
      ['talon-standard_replies-outlook.eml', 'Hello'],
    ])('reads a real client reply (%s) as a reply, not a forward', async (file, words) => {
      const mail = await parseEmail(fixture(file), OPTIONS);
      expect(mail.forwarded).toBeNull();
      expect(mail.newText).toBe(words);
    });
  });

  describe('a forward', () => {
    it('takes the customer from a forward sent as an attachment', async () => {
      const original = await compose({
        subject: 'Cannot add a second farm',
        text: 'The Add farm button does nothing.\n\nNadia',
      });
      const raw = await compose({
        from: { name: 'Sam Ortiz', address: 'sam.ortiz@help.tilework.example' },
        subject: 'FW: Cannot add a second farm',
        text: 'Customer mail attached.',
        messageId: '<fwd-att@help.tilework.example>',
        attachments: [
          {
            filename: 'Cannot add a second farm.eml',
            content: original,
            contentType: 'message/rfc822',
          },
        ],
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.forwarded).toEqual({
        from: customer,
        date: '2023-12-04T10:00:00.000Z',
        subject: 'Cannot add a second farm',
        body: 'The Add farm button does nothing.\n\nNadia',
      });
      expect(mail.newText).toBe('Customer mail attached.');
    });
  });

  describe('automated mail', () => {
    it.each<[string, Mail.Options]>([
      ['Auto-Submitted: auto-replied', { headers: { 'Auto-Submitted': 'auto-replied' } }],
      ['X-Autoreply', { headers: { 'X-Autoreply': 'yes' } }],
      ['X-Autorespond', { headers: { 'X-Autorespond': 'Out of office' } }],
      ['Precedence: auto_reply', { headers: { Precedence: 'auto_reply' } }],
      ['an English out-of-office subject', { subject: 'Out of Office: The invoice page is blank' }],
      ['an Outlook automatic reply', { subject: 'Automatic reply: A question about your report' }],
      ['a German out-of-office subject', { subject: 'Abwesenheitsnotiz: Ihre Frage' }],
      ['a French automatic reply', { subject: 'Réponse automatique : Votre question' }],
      ['a Spanish automatic reply', { subject: 'Respuesta automática: Su pregunta' }],
    ])('an out-of-office or auto-reply (%s) is auto_reply', async (_label, mail) => {
      expect((await parseEmail(await compose(mail), OPTIONS)).automated).toBe('auto_reply');
    });

    it.each([
      'Absent discount on my order',
      'OOO theme looks broken',
      'Out of stock items still orderable',
    ])('a customer subject that merely starts like one ("%s") is not', async (subject) => {
      expect((await parseEmail(await compose({ subject }), OPTIONS)).automated).toBeNull();
    });

    it('Auto-Submitted: no is a person', async () => {
      const raw = await compose({ headers: { 'Auto-Submitted': 'no' } });
      expect((await parseEmail(raw, OPTIONS)).automated).toBeNull();
    });

    it('a delivery-status report is a bounce', async () => {
      const raw = [
        'From: Mail Delivery System <MAILER-DAEMON@mx.greenfield-farms.example>',
        'To: questions@repro.example',
        'Subject: Undelivered Mail Returned to Sender',
        'Date: Mon, 04 Dec 2023 10:05:00 +0000',
        'Message-ID: <bounce-1@mx.greenfield-farms.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Your message could not be delivered to nadia@old-domain.example.',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.greenfield-farms.example',
        '',
        'Final-Recipient: rfc822; nadia@old-domain.example',
        'Action: failed',
        'Status: 5.1.1',
        '--b1--',
        '',
      ].join('\r\n');
      const mail = await parseEmail(Buffer.from(raw), OPTIONS);
      expect(mail.automated).toBe('bounce');
      expect(mail.forwarded).toBeNull();
    });

    it('a postmaster sender or an empty Return-Path is a bounce', async () => {
      const postmaster = await compose({
        from: 'postmaster@greenfield-farms.example',
        subject: 'Delivery failure',
      });
      expect((await parseEmail(postmaster, OPTIONS)).automated).toBe('bounce');
      const nullPath = Buffer.concat([Buffer.from('Return-Path: <>\r\n'), await compose({})]);
      expect((await parseEmail(nullPath, OPTIONS)).automated).toBe('bounce');
    });

    it('bulk mailing-list mail is list; a List-Id alone is not', async () => {
      const bulk = await compose({
        headers: {
          Precedence: 'bulk',
          'List-Id': 'Greenfield news <news.greenfield-farms.example>',
        },
        list: { unsubscribe: 'https://greenfield-farms.example/unsubscribe' },
      });
      expect((await parseEmail(bulk, OPTIONS)).automated).toBe('list');
      const group = await compose({
        headers: { 'List-Id': 'Team <team.greenfield-farms.example>' },
      });
      expect((await parseEmail(group, OPTIONS)).automated).toBeNull();
    });

    it("Repro's own mail, by sender or by Message-ID domain, is own", async () => {
      const bySender = await compose({ from: 'Repro <questions@repro.example>' });
      expect((await parseEmail(bySender, OPTIONS)).automated).toBe('own');
      const byId = await compose({
        from: 'relay@forwarder.example',
        messageId: '<q-9.r2@mail.repro.example>',
      });
      expect((await parseEmail(byId, OPTIONS)).automated).toBe('own');
      const asMailFrom = { ...OPTIONS, ownAddresses: ['Repro Bot <Bot@Repro.example>'] };
      const byMailFrom = await compose({ from: 'bot@repro.example' });
      expect((await parseEmail(byMailFrom, asMailFrom)).automated).toBe('own');
      const other = await compose({ messageId: '<q-9@mail.repro.example.evil.example>' });
      expect((await parseEmail(other, OPTIONS)).automated).toBeNull();
    });

    it('an automated mail is never read as a forward', async () => {
      const raw = await compose({
        subject: 'Automatic reply: Fwd: Coupon',
        text: 'I am away.\n\n---------- Forwarded message ---------\nFrom: A <a@b.example>\nDate: Mon, Dec 4, 2023 at 4:37 PM\nSubject: x\nTo: <c@d.example>\n\nhello',
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.automated).toBe('auto_reply');
      expect(mail.forwarded).toBeNull();
    });
  });

  describe('attachments', () => {
    it('a PNG screenshot is an image, a .har a HAR whose failed requests can be read, a PDF other', async () => {
      const raw = await compose({
        attachments: [
          { filename: 'screenshot.png', content: PNG },
          { filename: 'session.har', content: HAR, contentType: 'application/octet-stream' },
          { filename: 'network.json', content: HAR, contentType: 'application/json' },
          { filename: 'notes.json', content: '{"a":1}', contentType: 'application/json' },
          { filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 not really') },
        ],
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.attachments.map((a) => [a.filename, a.kind, a.size, a.dropped])).toEqual([
        ['screenshot.png', 'image', PNG.length, null],
        ['session.har', 'har', Buffer.byteLength(HAR), null],
        ['network.json', 'har', Buffer.byteLength(HAR), null],
        ['notes.json', 'other', 7, null],
        ['invoice.pdf', 'other', 19, null],
      ]);
      expect(Buffer.from(mail.attachments[0].content!).equals(PNG)).toBe(true);
      const har: unknown = JSON.parse(Buffer.from(mail.attachments[1].content!).toString('utf8'));
      expect(failedRequestsFromHar(har)).toEqual([
        {
          method: 'GET',
          url: 'https://app.greenfield.example/api/invoices',
          status: 502,
          t: Date.parse('2023-12-04T09:58:01.000Z'),
          durationMs: 120,
        },
      ]);
    });

    it('an inline image in an HTML mail counts as an image', async () => {
      const raw = await compose({
        text: undefined,
        html: '<p>See the screenshot:</p><img src="cid:shot1">',
        attachments: [{ filename: 'image001.png', content: PNG, cid: 'shot1' }],
      });
      const mail = await parseEmail(raw, OPTIONS);
      expect(mail.attachments).toMatchObject([
        { filename: 'image001.png', kind: 'image', dropped: null },
      ]);
      expect(mail.text).toBe('See the screenshot:');
    });

    it('an attachment over the limit is listed without its content, saying why', async () => {
      const big = Buffer.alloc(2048, 7);
      const raw = await compose({
        attachments: [
          { filename: 'recording.mp4', content: big },
          { filename: 'small.png', content: PNG },
        ],
      });
      const mail = await parseEmail(raw, { ...OPTIONS, maxAttachmentBytes: 1024 });
      expect(mail.attachments[0]).toMatchObject({
        filename: 'recording.mp4',
        size: 2048,
        content: null,
        kind: 'other',
      });
      expect(mail.attachments[0].dropped).toMatch(/limit/);
      expect(mail.attachments[0].dropped).toContain('1024');
      expect(mail.attachments[1]).toMatchObject({ filename: 'small.png', dropped: null });
      expect(mail.attachments[1].content).not.toBeNull();
    });
  });

  describe('contentHash', () => {
    const noId = (extra: string, body = 'The invoice page is blank since this morning.') =>
      Buffer.from(
        [
          'From: Nadia Petrova <nadia.petrova@greenfield-farms.example>',
          'To: bugs@in.repro.example',
          'Subject: The invoice page is blank',
          'Date: Mon, 04 Dec 2023 10:00:00 +0000',
          ...(extra ? [extra] : []),
          'Content-Type: text/plain; charset=utf-8',
          '',
          body,
          '',
        ].join('\r\n'),
      );

    it('is the same for the same mail delivered twice with no Message-ID, even re-encoded', async () => {
      const first = await parseEmail(noId(''), OPTIONS);
      const again = await parseEmail(
        noId('Received: from mx2.example by in.repro.example'),
        OPTIONS,
      );
      expect(first.messageId).toBeNull();
      expect(again.contentHash).toBe(first.contentHash);
      const wrapped = await parseEmail(
        Buffer.from(
          noId('Content-Transfer-Encoding: base64')
            .toString('utf8')
            .replace(
              'The invoice page is blank since this morning.',
              Buffer.from('The invoice page is blank since this morning.\r\n').toString('base64'),
            ),
        ),
        OPTIONS,
      );
      expect(wrapped.text).toBe('The invoice page is blank since this morning.');
      expect(wrapped.contentHash).toBe(first.contentHash);
    });

    it('differs when the words, the sender or the date differ', async () => {
      const base = (await parseEmail(noId(''), OPTIONS)).contentHash;
      const words = await parseEmail(
        noId('', 'The invoice page is blank since yesterday.'),
        OPTIONS,
      );
      expect(words.contentHash).not.toBe(base);
      const otherDate = await parseEmail(
        Buffer.from(noId('').toString('utf8').replace('10:00:00', '10:00:01')),
        OPTIONS,
      );
      expect(otherDate.contentHash).not.toBe(base);
      const otherSender = await parseEmail(
        Buffer.from(noId('').toString('utf8').replace('nadia.petrova@', 'nadia.p@')),
        OPTIONS,
      );
      expect(otherSender.contentHash).not.toBe(base);
    });
  });
});
