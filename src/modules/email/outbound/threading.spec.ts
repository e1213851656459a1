import {
  messageIdDomain,
  questionMessageId,
  replyAddress,
  replySubject,
  replyTokenOf,
} from './threading';

const FROM = 'Questions@Help.Example';
const TOKEN = '0123456789abcdef0123456789abcdef';

describe('threading of question mails', () => {
  it('writes Message-IDs under a label of its own, not the staff domain itself', () => {
    expect(messageIdDomain('Repro <questions@help.example>')).toBe('repro.help.example');
    expect(questionMessageId('abc', FROM)).toBe('q.abc@repro.help.example');
  });

  it('finds the reply token in the plus address, whatever case the server used', () => {
    const address = replyAddress(FROM, TOKEN);
    expect(address).toBe(`Questions+r_${TOKEN}@help.example`);
    const seen = [
      { name: null, address: 'someone@else.example' },
      { name: 'Repro', address: address.toLowerCase() },
    ];
    expect(replyTokenOf(seen, FROM)).toBe(TOKEN);
  });

  it('ignores look-alikes: another domain, another local part, a malformed token', () => {
    const at = (address: string) => replyTokenOf([{ name: null, address }], FROM);
    expect(at(`questions+r_${TOKEN}@evil.example`)).toBeNull();
    expect(at(`support+r_${TOKEN}@help.example`)).toBeNull();
    expect(at(`questions+r_${TOKEN.slice(1)}@help.example`)).toBeNull();
    expect(at(`questions+r_${TOKEN}x@help.example`)).toBeNull();
    expect(at('questions@help.example')).toBeNull();
  });

  it('answers under one Re:, whatever prefixes the subject carried', () => {
    expect(replySubject('Fwd: Invoices blank', 'x')).toBe('Re: Invoices blank');
    expect(replySubject('RE: Fw: AW: Login fails', 'x')).toBe('Re: Login fails');
    expect(replySubject('', 'Your bug report')).toBe('Re: Your bug report');
    expect(replySubject('Reading list broken', 'x')).toBe('Re: Reading list broken');
  });
});
