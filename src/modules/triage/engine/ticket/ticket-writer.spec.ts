import { buildFacts } from '../deterministic/facts';
import { severity, ticketConfidence, writeTicket } from './ticket-writer';
import {
  billingRecording,
  exportReport,
  sentryIssue,
  triageInput,
} from '../../../../../test/factories/triage-input.factory';
import type { TriageInput } from '../triage.types';

function ticket(input: TriageInput) {
  return writeTicket(buildFacts(input), input);
}

describe('writeTicket', () => {
  it('writes a specific ticket from a recording of a failed save', () => {
    const input = triageInput({ analysis: billingRecording() }, 'billing page problem');
    const t = ticket(input);
    expect(t.title).toBe('"Save" fails with 500 (POST /api/billing) on /settings/billing');
    expect(t.steps).toEqual([
      'Opened https://app.example.com/settings/billing',
      'Typed in "Card number"',
      'Clicked "Save"',
    ]);
    expect(t.actual).toContain('POST /api/billing returned 500');
    // What the customer wanted is what they clicked, inferred from the failure, not a guess
    // from the HTTP method.
    expect(t.expected).toBe('Clicking "Save" completes without an error');
    expect(t.summary).toContain('per the session recording');
    expect(t.summary.split(/(?<=\.)\s/).length).toBeLessThanOrEqual(4);
    expect(t.labels).toEqual(['bug', 'settings', 'has-recording']);
    // A failed request on the billing route is money that does not move.
    expect(t.severity).toBe('urgent');
  });

  it("uses the reporter's own title, steps and expected without a recording", () => {
    const t = ticket(
      triageInput(
        {},
        [
          'Export button does nothing on the reports page',
          '### Steps to reproduce',
          '1. Open Reports',
          '2. Click Export',
          '### Expected behavior',
          'A CSV downloads.',
        ].join('\n'),
      ),
    );
    expect(t.title).toBe('Export button does nothing on the reports page');
    expect(t.steps).toEqual(['Open Reports', 'Click Export']);
    expect(t.expected).toBe('A CSV downloads.');
    expect(t.labels).toEqual(['bug']);
    expect(t.severity).toBe('medium');
  });

  it('titles a Sentry-backed report with the error and the place', () => {
    const input = triageInput({ sentryIssue: sentryIssue() }, 'plans page is empty');
    const t = writeTicket(
      buildFacts({
        ...input,
        report: { ...input.report, pageUrl: 'https://app.example.com/plans/12' },
      }),
      {
        ...input,
        report: { ...input.report, pageUrl: 'https://app.example.com/plans/12' },
      },
    );
    expect(t.title).toBe(
      "TypeError: Cannot read properties of undefined (reading 'plan') on /plans/:id",
    );
    expect(t.labels).toEqual(['bug', 'plans', 'sentry']);
  });
});

describe('writeTicket on a vague opening followed by the symptom', () => {
  it('titles it by the element and its symptom, on the templated route', () => {
    const t = ticket(exportReport());
    expect(t.title).toBe('Export CSV does nothing on /reports/:id');
  });

  it("keeps the reporter's named place when there is no page URL", () => {
    expect(ticket(exportReport(undefined, null)).title).toBe(
      'Export CSV does nothing on the reports page',
    );
  });

  it('uses the first sentence, capitalised and without its full stop, when it says what fails', () => {
    const t = ticket(
      exportReport(
        'saving the invoice fails. I tried twice, then gave up.',
        'https://x.io/invoices/77',
      ),
    );
    expect(t.title).toBe('Saving the invoice fails on /invoices/:id');
  });

  it('keeps a vague first sentence when nothing later names an element and its symptom', () => {
    const t = ticket(exportReport('export is broken.', 'https://app.acme.com/settings/billing'));
    expect(t.title).toBe('Export is broken on /settings/billing');
  });

  it('drops the location rather than cutting it, and cuts a long title at a word', () => {
    const long =
      'When exporting the quarterly revenue report with all regional breakdowns enabled the totals are wrong';
    const t = ticket(exportReport(long, 'https://app.acme.com/reports/8812/exports/42'));
    expect(t.title.length).toBeLessThanOrEqual(80);
    expect(t.title).not.toContain(' on /');
    expect(t.title).toBe(
      'When exporting the quarterly revenue report with all regional breakdowns…',
    );
    const fits = ticket(
      exportReport(
        'The totals on the quarterly revenue report are wrong',
        'https://a.io/reports/8812',
      ),
    );
    expect(fits.title).toBe('The totals on the quarterly revenue report are wrong on /reports/:id');
  });

  it('takes the symptom sentence as the actual, and the steps from the same sentence', () => {
    const t = ticket(exportReport());
    expect(t.actual).toBe('Clicking Export CSV on the reports page does nothing');
    expect(t.steps).toEqual(['I click Export CSV on the reports page and nothing happens']);
  });

  it('writes the summary as capitalised sentences, each ending with a full stop', () => {
    const t = ticket(exportReport());
    expect(t.summary.split(/(?<=\.)\s+/)).toEqual([
      'Clicking Export CSV on the reports page does nothing (per the reporter).',
      'It happened on https://app.acme.com/reports/8812 using Chrome 126 on Mac OS 10.15.7.',
    ]);
    const vague = ticket(triageInput({}, 'whenever I open settings the page is blank'));
    expect(vague.summary).toBe(
      'Whenever I open settings the page is blank (per the reporter). How often: every time (per the reporter). Not known yet: environment.',
    );
  });
});

describe('severity', () => {
  const rate = (description: string, overrides: Partial<TriageInput> = {}) => {
    const input = triageInput(overrides, description);
    return severity(buildFacts(input), input);
  };

  it('is urgent for data loss, security, payments, everyone blocked or 50+ Sentry users', () => {
    expect(rate('I lost all my data after the import')).toBe('urgent');
    expect(rate('Other users can see my invoices, looks like a security hole')).toBe('urgent');
    expect(rate('Nobody can log in since this morning')).toBe('urgent');
    expect(rate('page is blank', { sentryIssue: sentryIssue({ usersAffected: 50 }) })).toBe(
      'urgent',
    );
  });

  it('is high when the reporter is blocked or the error is frequent', () => {
    expect(rate("The app crashes and I can't work")).toBe('high');
    expect(
      rate('page is blank', { sentryIssue: sentryIssue({ events: 400, usersAffected: 2 }) }),
    ).toBe('high');
  });

  it('is low for cosmetic problems and medium otherwise', () => {
    expect(rate('Typo in the footer: "Privcy policy"')).toBe('low');
    expect(rate('The chart legend shows last month instead of this month')).toBe('medium');
  });
});

describe('ticketConfidence', () => {
  it('is high with a recording and low for a bare complaint', () => {
    const rich = ticketConfidence(
      buildFacts(triageInput({ analysis: billingRecording() }, 'save fails')),
    );
    const bare = ticketConfidence(buildFacts(triageInput({}, 'broken')));
    expect(rich).toBeGreaterThan(0.8);
    expect(bare).toBeLessThan(0.2);
    expect(rich).toBeLessThanOrEqual(1);
  });
});
