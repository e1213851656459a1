import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { parseEmail } from '../parsing/parse-email';
import { mailgunMime, postmarkMime, readForm } from './provider-payloads';
import {
  basicAuthPassword,
  mailgunSignatureMatches,
  mailgunTimestampFresh,
  normalizeSendgridPublicKey,
  sendgridPublicKey,
  sendgridSignatureMatches,
} from './webhook-auth';

const read = (raw: Buffer) => parseEmail(raw, { maxAttachmentBytes: 100_000 });

describe('provider payloads rebuilt as MIME', () => {
  it('keeps a reply’s threading headers, so it still joins the conversation it answers', async () => {
    const mail = await read(
      await postmarkMime({
        From: 'rita@customer.test',
        Subject: 'Re: A question about your report',
        TextBody: 'It happens on the second tab only.',
        Headers: [
          { Name: 'Message-ID', Value: '<reply-1@customer.test>' },
          { Name: 'In-Reply-To', Value: '<q-7@repro.test>' },
          { Name: 'References', Value: '<q-6@repro.test> <q-7@repro.test>' },
        ],
        Attachments: [],
      }),
    );
    expect(mail.messageId).toBe('reply-1@customer.test');
    expect(mail.inReplyTo).toBe('q-7@repro.test');
    expect(mail.references).toEqual(['q-6@repro.test', 'q-7@repro.test']);
    expect(mail.automated).toBeNull();
  });

  it('keeps the headers that mark an out-of-office answer as automated', async () => {
    const form = await readForm(
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from(
        new URLSearchParams({
          from: 'Away Person <away@customer.test>',
          subject: 'Back on Monday',
          'body-plain': 'I will read your mail when I am back.',
          'message-headers': JSON.stringify([
            ['Auto-Submitted', 'auto-replied'],
            ['Message-Id', '<ooo-1@customer.test>'],
          ]),
        }).toString(),
      ),
    );
    const mail = await read(await mailgunMime(form));
    expect(mail.automated).toBe('auto_reply');
    expect(mail.messageId).toBe('ooo-1@customer.test');
  });
});

describe('provider forms', () => {
  it('keeps a raw mail field whole past busboy’s default 1 MiB field size', async () => {
    const mime = `From: a@b.test\r\nSubject: big\r\n\r\n${'x'.repeat(2 * 1024 * 1024)}`;
    const form = await readForm(
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from(new URLSearchParams({ 'body-mime': mime }).toString()),
    );
    expect(form.fields.get('body-mime')?.length).toBe(mime.length);
  });
});

describe('webhook credentials', () => {
  it('matches Mailgun’s HMAC of timestamp + token only with the same key', () => {
    const signature = createHmac('sha256', 'the-key').update('1700000000abc').digest('hex');
    expect(mailgunSignatureMatches('the-key', '1700000000', 'abc', signature)).toBe(true);
    expect(mailgunSignatureMatches('other-key', '1700000000', 'abc', signature)).toBe(false);
    expect(mailgunSignatureMatches('the-key', '1700000001', 'abc', signature)).toBe(false);
    expect(mailgunSignatureMatches('the-key', '1700000000', 'abc', 'zz')).toBe(false);
  });

  it('takes a Mailgun timestamp within nine hours either way (Mailgun retries for eight)', () => {
    const now = 1_700_000_000_000;
    const at = (seconds: number) => String(1_700_000_000 + seconds);
    expect(mailgunTimestampFresh(at(0), now)).toBe(true);
    expect(mailgunTimestampFresh(at(-8 * 3600), now)).toBe(true);
    expect(mailgunTimestampFresh(at(-9 * 3600 - 1), now)).toBe(false);
    expect(mailgunTimestampFresh(at(9 * 3600 + 1), now)).toBe(false);
    expect(mailgunTimestampFresh('soon', now)).toBe(false);
  });

  it('matches SendGrid’s ECDSA signature over timestamp + body only with its key and its body', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const stored = normalizeSendgridPublicKey(
      publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    )!;
    expect(
      normalizeSendgridPublicKey(publicKey.export({ format: 'pem', type: 'spki' }) as string),
    ).toBe(stored);
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    expect(
      normalizeSendgridPublicKey(other.export({ format: 'pem', type: 'spki' }) as string),
    ).toBeNull();
    expect(normalizeSendgridPublicKey('not a key')).toBeNull();
    const body = Buffer.from(
      '--xYzZY\r\nContent-Disposition: form-data; name="from"\r\n\r\na@b.test\r\n--xYzZY--\r\n',
    );
    const signature = sign(
      'sha256',
      Buffer.concat([Buffer.from('1700000000'), body]),
      privateKey,
    ).toString('base64');
    const key = sendgridPublicKey(stored)!;
    expect(sendgridSignatureMatches(key, '1700000000', body, signature)).toBe(true);
    expect(sendgridSignatureMatches(key, '1700000001', body, signature)).toBe(false);
    expect(
      sendgridSignatureMatches(
        key,
        '1700000000',
        Buffer.concat([body, Buffer.from('x')]),
        signature,
      ),
    ).toBe(false);
    expect(sendgridSignatureMatches(key, '1700000000', body, 'garbage')).toBe(false);
  });

  it('reads the password of a Basic header, and nothing from other schemes', () => {
    const header = `Basic ${Buffer.from('postmark:pa:ss').toString('base64')}`;
    expect(basicAuthPassword(header)).toBe('pa:ss');
    expect(basicAuthPassword('Bearer pa:ss')).toBeNull();
    expect(basicAuthPassword(undefined)).toBeNull();
  });
});
