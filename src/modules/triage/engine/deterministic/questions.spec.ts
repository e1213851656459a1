import type { TriagePolicy } from '../triage.types';
import { DEFAULT_POLICY } from '../../../projects/policy';
import { buildFacts } from './facts';
import { chooseQuestions, renderQuestionMessage } from './questions';
import {
  CHROME_UA,
  billingRecording,
  exportReport,
  sentryIssue,
  triageInput,
  turn,
} from '../../../../../test/factories/triage-input.factory';
import type { TriageInput } from '../triage.types';

function ask(input: TriageInput, policy: TriagePolicy = DEFAULT_POLICY) {
  return chooseQuestions(buildFacts(input), input, policy);
}

describe('chooseQuestions', () => {
  it('files a recorded failure without asking what the recording already shows', () => {
    // The recording shows the card being typed, "Save" clicked and the save answering 500:
    // the action, the steps and the expected result are all in the evidence.
    const input = triageInput({ analysis: billingRecording() }, 'saving my card does nothing');
    expect(ask(input)).toEqual([]);
    const facts = buildFacts(input);
    expect(facts.expected).toMatchObject({
      source: 'inferred',
      value: 'Clicking "Save" completes without an error',
    });
    expect(facts.expected?.evidence).toContain('POST /api/billing answered 500');
  });

  it('does not ask for console output or the error when Sentry has it', () => {
    const questions = ask(triageInput({ sentryIssue: sentryIssue() }, 'the plans page is broken'));
    expect(questions.map((q) => q.key)).not.toContain('actual');
    expect(questions.some((q) => /console|error message|copy/i.test(q.text))).toBe(false);
    const steps = questions.find((q) => q.key === 'steps');
    expect(steps?.text).toContain('We can see the error "TypeError');
  });

  it('does not ask for the browser when the user agent is known', () => {
    const report = { ...triageInput().report, userAgent: CHROME_UA };
    const questions = ask(triageInput({ report }, 'the page is broken'));
    expect(questions.map((q) => q.key)).not.toContain('environment');
    expect(questions.some((q) => /browser/i.test(q.text))).toBe(false);
  });

  it('asks a fully vague report about what happens first, then the steps', () => {
    const email = triageInput({}, 'it does not work');
    const questions = ask({ ...email, report: { ...email.report, source: 'email' } });
    expect(questions.map((q) => q.kind)).toEqual(['actual', 'steps', 'where']);
  });

  it('grounds questions in what the reporter said they were doing', () => {
    expect(ask(triageInput({}, 'Whenever I try to switch branches, nothing.'))[0].text).toMatch(
      /^When you tried to switch branches, /,
    );
  });

  it('does not ask what they see, or what they expected, when their click does nothing', () => {
    expect(ask(exportReport())).toEqual([]);
    const spins = ask(exportReport('billing page. When I press Save, it spins forever.'));
    expect(spins.map((q) => q.key)).not.toContain('actual');
    const quoted = ask(
      exportReport('Profile problem. I press Save and get "Something went wrong" at the top.'),
    );
    expect(quoted.map((q) => q.key)).not.toContain('actual');
  });

  it('asks for what happens, and any message, when no symptom is stated', () => {
    const questions = ask(exportReport('export is broken'));
    expect(questions[0]).toEqual({
      key: 'actual',
      kind: 'actual',
      text: 'What exactly happens? If a message appears, please copy its text.',
    });
  });

  it('respects maxQuestions, counting questions already asked', () => {
    const input = triageInput({}, 'it does not work');
    expect(ask(input, { ...DEFAULT_POLICY, maxQuestions: 2 })).toHaveLength(2);
    const later = {
      ...input,
      conversation: [
        turn(['actual', 'steps'], 'The list is empty after I click Refresh on the dashboard'),
      ],
    };
    expect(ask(later, { ...DEFAULT_POLICY, maxQuestions: 3 })).toHaveLength(1);
    expect(ask(later, { ...DEFAULT_POLICY, maxQuestions: 2 })).toHaveLength(0);
  });

  it('asks nothing when the policy does not allow asking', () => {
    const policy = {
      ...DEFAULT_POLICY,
      allowedTools: DEFAULT_POLICY.allowedTools.filter((t) => t !== 'ask_reporter'),
    };
    expect(ask(triageInput({}, 'it does not work'), policy)).toEqual([]);
  });

  it('re-asks a vaguely answered key once, rephrased, and never a third time', () => {
    const policy = { ...DEFAULT_POLICY, maxQuestions: 10 };
    const base = triageInput(
      { report: { ...triageInput().report, userAgent: CHROME_UA } },
      'Export fails with an error on the reports page, it should download',
    );
    const first = ask(base, policy);
    expect(first.map((q) => q.key)).toContain('steps');
    const once = { ...base, conversation: [turn(['steps'], 'idk')] };
    const again = ask(once, policy).find((q) => q.key === 'steps');
    expect(again?.text).toMatch(/^Sorry to ask again/);
    const twice = {
      ...base,
      conversation: [turn(['steps'], 'idk'), turn(['steps'], 'it just doesnt work')],
    };
    expect(ask(twice, policy).map((q) => q.key)).not.toContain('steps');
  });

  it('does not ask again about a key answered well', () => {
    const input = triageInput(
      { conversation: [turn(['steps'], '1. Open Reports\n2. Click Export')] },
      'Export fails with an error',
    );
    expect(ask(input).map((q) => q.key)).not.toContain('steps');
  });

  it('does not hold a ticket back only for frequency, impact or the browser', () => {
    const report = { ...triageInput().report, userAgent: CHROME_UA };
    expect(
      ask(
        triageInput(
          { report, analysis: billingRecording() },
          'I expected the new card to be saved',
        ),
      ),
    ).toEqual([]);
  });
});

describe('renderQuestionMessage', () => {
  it('greets the reporter and numbers every question', () => {
    const message = renderQuestionMessage(
      [
        { key: 'steps', text: 'What did you do, step by step?' },
        { key: 'environment', text: 'Which browser were you using?' },
      ],
      'Ana Lima',
    );
    expect(message).toBe(
      'Hi Ana, thanks for reporting this! 2 quick questions so we can reproduce it:\n\n1. What did you do, step by step?\n2. Which browser were you using?\n\nA short reply in your own words is perfect.',
    );
    expect(renderQuestionMessage([{ key: 'actual', text: 'What happens?' }])).toMatch(
      /^Hi, thanks.*One quick question[\s\S]*1\. What happens\?/,
    );
  });
});
