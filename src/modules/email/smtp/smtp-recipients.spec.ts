import { readRecipient } from './smtp-recipients';

describe('readRecipient', () => {
  const rules = { domain: 'In.Repro.test', mailFrom: 'Repro <questions@repro.test>' };

  it('reads <slug>@domain and reports+<slug>@domain as that project, ignoring case', () => {
    expect(readRecipient('shop-1@in.repro.test', rules)).toEqual({
      kind: 'project',
      slug: 'shop-1',
    });
    expect(readRecipient('Reports+Shop-1@IN.repro.test', rules)).toEqual({
      kind: 'project',
      slug: 'shop-1',
    });
  });

  it('reads MAIL_FROM’s local part, plus-addressed or not, as a reply', () => {
    expect(readRecipient('questions+r_abc123@repro.test', rules)).toEqual({
      kind: 'reply',
      tag: 'r_abc123',
    });
    expect(readRecipient('questions@repro.test', rules)).toEqual({ kind: 'reply', tag: null });
  });

  it('is nobody for another domain, a look-alike domain, or a local part that is no slug', () => {
    expect(readRecipient('shop-1@elsewhere.test', rules)).toBeNull();
    expect(readRecipient('shop-1@in.repro.test.evil', rules)).toBeNull();
    expect(readRecipient('questions+x@repro.test.evil', rules)).toBeNull();
    expect(readRecipient('not a slug!@in.repro.test', rules)).toBeNull();
    expect(readRecipient('@in.repro.test', rules)).toBeNull();
    expect(readRecipient('questions@repro.test', { domain: 'in.repro.test' })).toBeNull();
  });
});
