import { liveMarkup, renderMarkdown, visibleText } from '../../../test/support/rendered-markdown';
import { raisedLine } from './duplicate-actions.service';
import { decideTicketPriority, type PriorityBasis } from './ticket-priority';

const basis = (overrides: Partial<PriorityBasis> = {}): PriorityBasis => ({
  severity: 'medium',
  severityWhy: null,
  account: null,
  sentry: null,
  ...overrides,
});

describe('decideTicketPriority', () => {
  it('keeps what the ticket was decided from when a smaller report joins', () => {
    const filed = decideTicketPriority(
      basis({
        account: { tier: 'enterprise', revenue: null },
        sentry: { usersAffected: 40, events: 90 },
      }),
      { reports: 1, accounts: 1 },
    );
    expect(filed.level).toBe('urgent');
    const joined = decideTicketPriority(
      basis({ severity: 'low', account: { tier: 'free', revenue: null } }),
      { reports: 2, accounts: 2 },
      filed,
    );
    expect(joined.level).toBe('urgent');
    expect(joined.basis).toEqual(filed.basis);
  });

  it('takes the more severe severity and the larger Sentry counts a duplicate brings', () => {
    const filed = decideTicketPriority(basis({ severity: 'low' }), { reports: 1, accounts: 1 });
    const joined = decideTicketPriority(
      basis({ severity: 'high', sentry: { usersAffected: 30, events: null } }),
      { reports: 2, accounts: 2 },
      filed,
    );
    expect(joined).toMatchObject({
      level: 'urgent',
      reasons: ['Severity high', 'Sentry: 30 users'],
    });
  });
});

describe("the severity's why", () => {
  it('goes with the severity it explains', () => {
    const filed = decideTicketPriority(basis({ severity: 'high', severityWhy: 'words: crash' }), {
      reports: 1,
      accounts: 1,
    });
    const lower = decideTicketPriority(
      basis({ severity: 'low', severityWhy: 'words: typo' }),
      { reports: 2, accounts: 2 },
      filed,
    );
    expect(lower.reasons[0]).toBe('Severity high (words: crash)');
    const higher = decideTicketPriority(
      basis({ severity: 'urgent', severityWhy: 'words: data loss' }),
      { reports: 3, accounts: 2 },
      lower,
    );
    expect(higher.reasons[0]).toBe('Severity urgent (words: data loss)');
  });
});

describe('raisedLine', () => {
  it('says from what to what and why, with a tier the customer named as inert text', () => {
    const line = raisedLine({
      from: 'medium',
      to: 'high',
      reasons: ['Severity medium', '[Gold](javascript:alert(1)) <img src=x> account'],
    });
    expect(line).toMatch(/^Priority raised from medium to \*\*high\*\*: Severity medium; /);
    const html = renderMarkdown(line);
    expect(liveMarkup(html)).toMatchObject({ images: [], links: [], rawHtml: [] });
    expect(visibleText(html)).toContain('[Gold](javascript:alert(1)) <img src=x> account');
  });
});
