import { checkDomainAccounts, checkOrigins, checkStaffSenders } from './settings-input';

describe('settings input', () => {
  it('normalises origins, drops repeats, and names each bad one by its place', () => {
    expect(
      checkOrigins('allowedOrigins', [
        'https://App.example.com:443',
        'https://app.example.com',
        'https://app.example.com/settings',
        'http://localhost:3000',
      ]),
    ).toEqual({
      value: ['https://app.example.com', 'http://localhost:3000'],
      problems: [{ field: 'allowedOrigins.2', message: expect.stringContaining('/settings') }],
    });
  });

  it('takes staff senders as repro email does: addresses and @domains, lower-cased', () => {
    expect(
      checkStaffSenders('staffSenders', ['Ana@Acme.com', '@Acme.com', 'ana@acme.com']),
    ).toEqual({
      value: ['ana@acme.com', '@acme.com'],
      problems: [],
    });
    expect(
      checkStaffSenders('staffSenders', ['@', 'ana', '@acme']).problems.map((p) => p.field),
    ).toEqual(['staffSenders.0', 'staffSenders.1', 'staffSenders.2']);
  });

  it('takes the domain → account map with bare, lower-cased domains', () => {
    expect(checkDomainAccounts('domainAccounts', { '@Customer.io': ' acct_42 ' })).toEqual({
      value: { 'customer.io': 'acct_42' },
      problems: [],
    });
    const bad = checkDomainAccounts('domainAccounts', { localhost: 'a', 'x.io': '', 'y.io': 7 });
    expect(bad.problems.map((p) => p.field)).toEqual([
      'domainAccounts.localhost',
      'domainAccounts.x.io',
      'domainAccounts.y.io',
    ]);
  });
});
