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
  it('never asks for steps, actual or environment a recording already shows', () => {
    const questions = ask(triageInput({ analysis: billingRecording() }, 'billing is broken'));
    const keys = questions.map((q) => q.key);
    expect(keys).not.toEqual(expect.arrayContaining(['steps']));
    expect(keys).not.toContain('actual');
    expect(keys).not.toContain('environment');
    expect(keys).not.toContain('where');
    // What is left is the intent, grounded in what the recording showed.
    expect(questions[0].key).toBe('expected');
    expect(questions[0].text).toBe(
      'We can see the "Save" button on /settings/billing returned an error (500) at 14:02 UTC. What were you trying to do there, and what did you expect to happen?',
    );
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
    expect(questions.map((q) => q.key)).toEqual(['actual', 'steps', 'expected']);
  });

  it('grounds questions in what the reporter said they were doing', () => {
    const questions = ask(
      triageInput({}, 'Whenever I try to switch branches, it flashes back and forth'),
    );
    expect(questions.find((q) => q.key === 'environment')).toBeDefined();
    expect(ask(triageInput({}, 'Whenever I try to switch branches, nothing.'))[0].text).toMatch(
      /^When you tried to switch branches, /,
    );
  });

  it('does not ask what they see when the reporter said what their click does', () => {
    const questions = ask(exportReport());
    expect(questions.map((q) => q.key)).toEqual(['expected', 'frequency']);
    expect(questions[0].text).toBe(
      'When you clicked Export CSV on the reports page, what did you expect to see?',
    );
    expect(questions.some((q) => /on screen|error message/i.test(q.text))).toBe(false);
    const spins = ask(exportReport('billing page. When I press Save, it spins forever.'));
    expect(spins.map((q) => q.key)).not.toContain('actual');
    const quoted = ask(
      exportReport('Profile problem. I press Save and get "Something went wrong" at the top.'),
    );
    expect(quoted.map((q) => q.key)).not.toContain('actual');
  });

  it('asks for what they see, and any error message, when no symptom is stated', () => {
    const questions = ask(exportReport('export is broken'));
    expect(questions[0]).toEqual({
      key: 'actual',
      text: 'What exactly do you see on screen? If an error message appears, please copy its text.',
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

  it('does not hold a ticket back only for frequency or impact', () => {
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
