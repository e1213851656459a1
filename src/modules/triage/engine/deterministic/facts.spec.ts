import { buildFacts, isKnown } from './facts';
import {
  CHROME_UA,
  billingRecording,
  sentryIssue,
  triageInput,
  turn,
} from '../../../../../test/factories/triage-input.factory';

describe('buildFacts', () => {
  it('takes actual, steps, where, when and environment from the recording', () => {
    const facts = buildFacts(triageInput({ analysis: billingRecording() }, 'save broken'));
    expect(facts.actual).toMatchObject({
      source: 'recording',
      value: 'POST /api/billing returned 500',
    });
    expect(facts.actual?.evidence).toContain('POST /api/billing 500');
    expect(facts.steps?.source).toBe('recording');
    expect(facts.steps?.items).toEqual([
      'Opened https://app.example.com/settings/billing',
      'Typed in "Card number"',
      'Clicked "Save"',
    ]);
    expect(facts.where?.value).toBe('https://app.example.com/settings/billing');
    expect(facts.when?.value).toBe('2024-05-02T14:02:02.400Z');
    expect(facts.environment?.value).toContain('Chrome 124 on Windows 10');
    // The save failed, so the reporter surely expected it to succeed: inferred, and enough not
    // to ask, since a failed request is never the intended result of clicking Save.
    expect(facts.expected).toMatchObject({ source: 'inferred' });
    expect(isKnown(facts, 'expected')).toBe(true);
    expect(facts.logs).toMatchObject({ source: 'recording' });
  });

  it('takes actual, frequency, impact and release from Sentry', () => {
    const facts = buildFacts(
      triageInput(
        { sentryIssue: sentryIssue({ events: 240, usersAffected: 31 }) },
        'plans page blank',
      ),
    );
    expect(facts.actual?.source).toBe('sentry');
    expect(facts.actual?.value).toContain('TypeError');
    expect(facts.frequency?.value).toContain('240 events');
    expect(facts.impact?.value).toBe('31 users affected');
  });

  it('reads the environment from a widget-captured user agent as recording-grade evidence', () => {
    const facts = buildFacts(
      triageInput({ report: { ...triageInput().report, userAgent: CHROME_UA } }),
    );
    expect(facts.environment).toMatchObject({ source: 'recording', confidence: 0.9 });
    expect(facts.environment?.value).toContain('Chrome 124 on Windows 10');
  });

  it('uses the page the widget was opened on for where', () => {
    const report = {
      ...triageInput().report,
      pageUrl: 'https://app.example.com/reports',
      pageTitle: 'Reports',
    };
    expect(buildFacts(triageInput({ report })).where).toMatchObject({
      source: 'recording',
      value: 'https://app.example.com/reports (Reports)',
    });
  });

  it('adds the account as impact context', () => {
    const facts = buildFacts(triageInput({ account: { name: 'Acme', tier: 'enterprise' } }));
    expect(facts.impact).toMatchObject({
      source: 'account',
      value: 'Reported from Acme (enterprise tier)',
    });
  });

  it('reads a GitHub issue template and ignores its unfilled placeholders', () => {
    const description = [
      "Can't switch branches",
      '### Describe the bug',
      'Whenever I try to switch branches, it switches back to my current branch.',
      '### Version & OS',
      "Open 'About GitHub Desktop' menu to see the Desktop version. Also include what operating system you are using.",
      '### Steps to reproduce the behavior',
      '1. Click branch.',
      '2. Click desired branch.',
      '3. See error',
      '### Expected behavior',
      'I expected the branch to switch to the desired branch.',
      '### Screenshots',
      'Add screenshots to help explain your problem, if applicable.',
    ].join('\n');
    const facts = buildFacts(triageInput({}, description));
    expect(facts.steps?.items).toEqual(['Click branch.', 'Click desired branch.']);
    expect(facts.expected).toMatchObject({
      source: 'reporter',
      value: 'I expected the branch to switch to the desired branch.',
    });
    expect(facts.actual?.value).toContain('switches back');
    expect(facts.frequency?.value).toMatch(/whenever/i);
    expect(facts.environment).toBeNull();
  });

  it('reads expected, environment, frequency, when and impact from free text', () => {
    const facts = buildFacts(
      triageInput(
        {},
        'Since yesterday the export button does nothing on Firefox 126 on Ubuntu 22.04, every time. It should download a CSV. All our customers are blocked.',
      ),
    );
    expect(facts.expected?.value).toContain('should download a CSV');
    expect(facts.environment?.value).toMatch(/Ubuntu 22.04/);
    expect(facts.environment?.value).toMatch(/Firefox 126/);
    expect(facts.frequency?.value).toBe('every time');
    expect(facts.when?.value).toMatch(/since yesterday/i);
    expect(facts.impact?.value).toMatch(/All our customers/);
  });

  it("fills a key from the reporter's answer to a question about it", () => {
    const facts = buildFacts(
      triageInput(
        {
          conversation: [
            turn(
              ['steps', 'expected'],
              '1. Open Reports, then click Export\n2. A CSV file downloads',
            ),
          ],
        },
        'export broken',
      ),
    );
    expect(facts.steps).toMatchObject({
      source: 'reporter',
      items: ['Open Reports', 'click Export'],
    });
    expect(facts.expected).toMatchObject({ source: 'reporter', value: 'A CSV file downloads' });
  });

  it('does not count a vague answer', () => {
    const facts = buildFacts(
      triageInput({ conversation: [turn(['steps'], 'idk it just doesnt work')] }, 'broken'),
    );
    expect(isKnown(facts, 'steps')).toBe(false);
    const short = buildFacts(triageInput({ conversation: [turn(['expected'], 'no')] }, 'broken'));
    expect(isKnown(short, 'expected')).toBe(false);
  });

  it('does not take a screenshot link for the page, nor cut an impact mid-word', () => {
    const facts = buildFacts(
      triageInput(
        {},
        'The chart is empty, see https://snipboard.io/NPh69r.jpg. I cannot push the branch, fetch files from master or submit change to a branch.',
      ),
    );
    expect(facts.where).toBeNull();
    expect(facts.impact?.value).toBe(
      'cannot push the branch, fetch files from master or submit change',
    );
  });

  it('lets stronger evidence win over the reporter', () => {
    const facts = buildFacts(
      triageInput({ analysis: billingRecording() }, '1. I opened settings\n2. I pressed save'),
    );
    expect(facts.steps?.source).toBe('recording');
  });
});
