import type { MailAttachment, ParsedEmail } from './email.types';
import { harFailedRequests, isStaff, readEmail, repliedTo } from './email-reading';

function mail(overrides: Partial<ParsedEmail> = {}): ParsedEmail {
  return {
    messageId: 'one@mail.test',
    inReplyTo: null,
    references: [],
    from: { name: 'Rita Rep', address: 'rita@team.test' },
    to: [],
    cc: [],
    replyTo: null,
    subject: 'Fwd: Totals off',
    date: null,
    text: 'whole text',
    newText: 'Rita’s note',
    forwarded: {
      from: { name: 'Cy Cust', address: 'cy@cust.test' },
      date: '2026-12-01T08:00:00.000Z',
      subject: 'Totals off',
      body: 'The cart total is wrong by one cent.',
    },
    automated: null,
    attachments: [],
    contentHash: 'h',
    ...overrides,
  };
}

describe('isStaff', () => {
  it('matches whole addresses and @domain entries, ignoring case, never a look-alike domain', () => {
    const staff = ['Rita@Team.test', '@help.test'];
    expect(isStaff('rita@team.test', staff)).toBe(true);
    expect(isStaff('any@HELP.test', staff)).toBe(true);
    expect(isStaff('rita@team.test.evil', staff)).toBe(false);
    expect(isStaff('x@nothelp.test', staff)).toBe(false);
    expect(isStaff('x@sub.help.test', staff)).toBe(false);
  });
});

describe('readEmail', () => {
  const settings = { staffSenders: ['@team.test'], unknownSenders: 'report' as const };

  it('reads a staff forward as the customer’s report, the note apart', () => {
    const reading = readEmail(mail(), settings);
    expect(reading).toMatchObject({
      kind: 'report',
      reporter: { address: 'cy@cust.test' },
      forwardedBy: { address: 'rita@team.test' },
      staffNote: 'Rita’s note',
      originalSubject: 'Totals off',
    });
    expect(reading.kind === 'report' && reading.description).toBe(
      'Totals off\n\nThe cart total is wrong by one cent.',
    );
  });

  it('reads a forward from outside the staff list as the sender’s own words', () => {
    const reading = readEmail(
      mail({ from: { name: null, address: 'rita@team.test.evil' } }),
      settings,
    );
    expect(reading).toMatchObject({ kind: 'report', forwardedBy: null, staffNote: null });
    expect(reading.kind === 'report' && reading.reporter.address).toBe('rita@team.test.evil');
    expect(reading.kind === 'report' && reading.description).toContain('whole text');
  });

  it('refuses unknown senders only when the project says so, and never staff', () => {
    const strict = { ...settings, unknownSenders: 'refuse' as const };
    const stranger = mail({ from: { name: null, address: 'zed@else.test' }, forwarded: null });
    expect(readEmail(stranger, strict)).toEqual({ kind: 'refused' });
    expect(readEmail(stranger, settings).kind).toBe('report');
    expect(readEmail(mail(), strict).kind).toBe('report');
  });

  it('ignores automated mail with its reason, whoever sent it', () => {
    expect(readEmail(mail({ automated: 'bounce' }), settings)).toEqual({
      kind: 'ignored',
      reason: 'bounce',
    });
  });
});

describe('repliedTo', () => {
  it('looks at In-Reply-To first, then References newest first, each once', () => {
    const ids = repliedTo(
      mail({ inReplyTo: 'c@x', references: ['a@x', 'b@x', 'c@x'], forwarded: null }),
    );
    expect(ids).toEqual(['c@x', 'b@x', 'a@x']);
  });
});

describe('harFailedRequests', () => {
  const har = (entries: unknown[]): MailAttachment => ({
    filename: 'net.har',
    contentType: 'application/json',
    size: 1,
    kind: 'har',
    content: Buffer.from(JSON.stringify({ log: { entries } })),
    dropped: null,
  });

  it('lists the failed requests of each HAR with its file, and skips one that is not JSON', () => {
    const broken: MailAttachment = { ...har([]), content: Buffer.from('{ nope') };
    const found = harFailedRequests([
      broken,
      har([
        { request: { method: 'get', url: 'https://a.test/ok' }, response: { status: 204 } },
        { request: { method: 'put', url: 'https://a.test/save?k=1' }, response: { status: 500 } },
      ]),
    ]);
    expect(found).toEqual([
      expect.objectContaining({
        file: 'net.har',
        method: 'PUT',
        url: 'https://a.test/save',
        status: 500,
      }),
    ]);
  });
});
