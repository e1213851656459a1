import {
  fromDomainVerdict,
  mailgunAuthReport,
  postmarkAuthReport,
  providerSenderVerdict,
  sendgridAuthReport,
} from './provider-auth';
import type { FormPost } from './provider-payloads';

const form = (fields: Record<string, string>): FormPost => ({
  fields: new Map(Object.entries(fields).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
  files: new Map(),
});

const mime = (headers: string[]) =>
  Buffer.from(`${headers.join('\r\n')}\r\nSubject: x\r\n\r\nbody\r\n`, 'latin1');

const staffMail = mime(['From: Sam Staff <sam@shopfront.test>']);

describe('SendGrid Inbound Parse verdicts (SPF and dkim fields)', () => {
  const sendgrid = (spf: string, dkim: string, envelopeFrom = 'sam@shopfront.test') =>
    providerSenderVerdict(
      sendgridAuthReport(
        form({
          SPF: spf,
          dkim,
          envelope: JSON.stringify({ to: ['bugs@repro.test'], from: envelopeFrom }),
        }),
      ),
      staffMail,
    );

  it('trusts a passing DKIM signature of the From domain, even when SPF soft-fails', () => {
    expect(sendgrid('pass', '{@shopfront.test : pass}')).toBe(true);
    expect(sendgrid('softfail', '{@mail.shopfront.test : pass, @sendgrid.info : pass}')).toBe(true);
  });

  it('does not trust SPF fail or softfail without it, a failing signature, or another domain’s SPF pass', () => {
    expect(sendgrid('softfail', '{@sendgrid.info : pass}')).toBe(false);
    expect(sendgrid('fail', 'none')).toBe(false);
    expect(sendgrid('neutral', '{@shopfront.test : fail}')).toBe(false);
    expect(sendgrid('pass', 'none', 'bounce@attacker.test')).toBe(false);
  });

  it('trusts an aligned SPF pass, and says nothing when SendGrid says nothing', () => {
    expect(sendgrid('pass', 'none')).toBe(true);
    expect(sendgrid('pass', '{@shopfront.test : fail}')).toBe(true);
    expect(providerSenderVerdict(sendgridAuthReport(form({})), staffMail)).toBeUndefined();
  });
});

describe('Mailgun verdicts (X-Mailgun-Spf, X-Mailgun-Dkim-Check-Result)', () => {
  const parsed = (headers: [string, string][], sender = 'sam@shopfront.test') =>
    mailgunAuthReport(form({ sender, 'message-headers': JSON.stringify(headers) }), staffMail);

  it('reads the parsed route’s message-headers', () => {
    const signed: [string, string] = [
      'DKIM-Signature',
      'v=1; a=rsa-sha256; d=shopfront.test; s=k1',
    ];
    expect(
      providerSenderVerdict(
        parsed([['X-Mailgun-Spf', 'Pass'], ['X-Mailgun-Dkim-Check-Result', 'Pass'], signed]),
        staffMail,
      ),
    ).toBe(true);
    expect(
      providerSenderVerdict(
        parsed([['X-Mailgun-Spf', 'Fail'], ['X-Mailgun-Dkim-Check-Result', 'Fail'], signed]),
        staffMail,
      ),
    ).toBe(false);
  });

  it('does not count a DKIM pass that may be another domain’s signature, nor a pass below a fail', () => {
    const twoSigners = parsed([
      ['X-Mailgun-Spf', 'SoftFail'],
      ['X-Mailgun-Dkim-Check-Result', 'Pass'],
      ['DKIM-Signature', 'v=1; d=shopfront.test; s=forged'],
      ['DKIM-Signature', 'v=1; d=attacker.test; s=k1'],
    ]);
    expect(providerSenderVerdict(twoSigners, staffMail)).toBe(false);
    // The sender wrote its own X-Mailgun-Spf: Pass below Mailgun's Fail.
    const forgedBelow = parsed([
      ['X-Mailgun-Spf', 'Fail'],
      ['X-Mailgun-Spf', 'Pass'],
    ]);
    expect(providerSenderVerdict(forgedBelow, staffMail)).toBe(false);
  });

  it('reads the headers of body-mime for …/mime', () => {
    const raw = mime([
      'X-Mailgun-Spf: Neutral',
      'X-Mailgun-Dkim-Check-Result: Fail',
      'From: sam@shopfront.test',
    ]);
    expect(
      providerSenderVerdict(mailgunAuthReport(form({ sender: 'sam@shopfront.test' }), raw), raw),
    ).toBe(false);
    const nothing = mime(['From: sam@shopfront.test']);
    expect(
      providerSenderVerdict(mailgunAuthReport(form({ 'body-mime': 'x' }), nothing), nothing),
    ).toBeUndefined();
  });
});

describe('Postmark verdicts (Received-SPF, X-Spam-Tests, Authentication-Results)', () => {
  const postmark = (headers: { Name: string; Value: string }[]) =>
    providerSenderVerdict(
      postmarkAuthReport({ From: 'sam@shopfront.test', Headers: headers }, staffMail),
      staffMail,
    );
  const spf = (result: string, envelope = 'sam@shopfront.test') => ({
    Name: 'Received-SPF',
    Value: `${result} (sender SPF authorized) identity=mailfrom; client-ip=198.51.100.7; helo=mx.shopfront.test; envelope-from=${envelope}; receiver=inbound.postmarkapp.com`,
  });

  it('trusts Postmark’s aligned SPF pass and SpamAssassin’s DKIM_VALID_AU', () => {
    expect(postmark([spf('Pass')])).toBe(true);
    expect(
      postmark([
        { Name: 'X-Spam-Tests', Value: 'DKIM_SIGNED,DKIM_VALID,DKIM_VALID_AU,SPF_SOFTFAIL' },
        spf('SoftFail'),
      ]),
    ).toBe(true);
  });

  it('does not trust an SPF fail, another domain’s pass, or a DMARC fail anywhere in Authentication-Results', () => {
    expect(postmark([spf('Fail')])).toBe(false);
    expect(postmark([spf('Pass', 'x@attacker.test')])).toBe(false);
    expect(
      postmark([
        spf('Pass'),
        { Name: 'Authentication-Results', Value: 'mx.test; dmarc=fail header.from=shopfront.test' },
      ]),
    ).toBe(false);
  });

  it('does not take a pass from a header the sender wrote (Authentication-Results), and says nothing without headers', () => {
    expect(
      postmark([
        { Name: 'Authentication-Results', Value: 'mx.test; dkim=pass header.d=shopfront.test' },
      ]),
    ).toBeUndefined();
    expect(postmark([])).toBeUndefined();
  });
});

describe('fromDomainVerdict', () => {
  it('refuses to vouch for a mail with two From domains', () => {
    const two = mime(['From: a@shopfront.test', 'From: b@attacker.test']);
    expect(
      providerSenderVerdict({ spf: { result: 'pass', domain: 'shopfront.test' }, dkim: [] }, two),
    ).toBe(false);
  });

  it('trusts DMARC pass and never DMARC fail', () => {
    expect(fromDomainVerdict('shopfront.test', { dkim: [], dmarc: 'pass' })).toBe(true);
    expect(
      fromDomainVerdict('shopfront.test', {
        dkim: [{ result: 'pass', domains: ['shopfront.test'] }],
        dmarc: 'fail',
      }),
    ).toBe(false);
  });
});
