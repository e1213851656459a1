import type { Report } from '../reports/entities/report.entity';
import { customerOf } from './ticket-customer';

const report = (description: string): Report =>
  ({
    id: '6f1c2d1e-0000-4000-8000-000000000001',
    description,
    accountId: 'a1',
    account: {
      externalId: 'acct_1',
      name: 'Acme',
      emailDomains: ['acme.example'],
      tier: 'enterprise',
      revenue: '120000.00',
    },
  }) as unknown as Report;

describe('customerOf', () => {
  it('gives the tracker the reporter’s words redacted, as the ticket body is', () => {
    const customer = customerOf(
      report('Charged 4111 1111 1111 1111 twice, write to ana@acme.example'),
    );
    expect(customer?.words).toBe('Charged [card] twice, write to [email]');
    expect(customer?.name).toBe('Acme');
  });
});
