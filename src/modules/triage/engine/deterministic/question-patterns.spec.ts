/**
 * One test per way the agent used to fail reporters and maintainers (issue 15), each written
 * from our own example reports: forms misread, stated facts asked again, logs and versions never
 * asked, an OS taken for the version, frequency as a filler, broken quotes, links in titles, and
 * a recording whose evidence was asked for again.
 */
import { DEFAULT_POLICY } from '../../../projects/policy';
import type { Question, TriageInput, TriagePolicy } from '../triage.types';
import { runDeterministic } from './deterministic-engine';
import { buildFacts } from './facts';
import { chooseQuestions, foreignLanguage, renderQuestionMessage } from './questions';
import { billingRecording, triageInput } from '../../../../../test/factories/triage-input.factory';
import { extractFrequency, parseReporterText } from './reporter-text';
import { writeTicket } from '../ticket/ticket-writer';
import { renderTicketBody } from '../ticket/ticket-body';

/** A report posted to the API, as a public tracker's issue would be. */
function posted(text: string, overrides: Partial<TriageInput> = {}): TriageInput {
  const input = triageInput(overrides, text);
  return { ...input, reporter: null, report: { ...input.report, source: 'api' } };
}

function kinds(input: TriageInput, policy: TriagePolicy = DEFAULT_POLICY): string[] {
  return chooseQuestions(buildFacts(input), input, policy).map((q) => q.kind ?? q.key);
}

function questions(input: TriageInput, policy: TriagePolicy = DEFAULT_POLICY): Question[] {
  return chooseQuestions(buildFacts(input), input, policy);
}

const FORM = `Sync stops after the laptop wakes from sleep

### Describe the bug

A clear and concise description of what the bug is.
After waking the laptop the sync icon stays grey and no new notes arrive until I quit the app.

### Steps to reproduce

Put the laptop to sleep with the app open

### Expected behavior

_No response_

### App version

5.12.3

### Operating system

- [x] I have searched the existing issues
macOS 14.4

### Logs

_No response_`;

describe('issue forms are read for what they are', () => {
  it('takes a one-line answer under a steps heading as the steps, and does not ask for them', () => {
    const facts = buildFacts(posted(FORM));
    expect(facts.steps?.items).toEqual(['Put the laptop to sleep with the app open']);
    expect(kinds(posted(FORM))).not.toContain('steps');
  });

  it('keeps a bare version under a version heading as the version', () => {
    const facts = buildFacts(posted(FORM));
    expect(facts.version).toMatchObject({ value: '5.12.3', source: 'reporter' });
    expect(kinds(posted(FORM))).not.toContain('version');
  });

  it('never takes a template placeholder, an empty form answer or a checkbox as a fact', () => {
    const facts = buildFacts(posted(FORM));
    expect(facts.environment?.value).toBe('macOS 14.4');
    expect(facts.actual?.value).not.toMatch(/clear and concise/i);
    expect(facts.logs).toBeNull();
    const parsed = parseReporterText(FORM);
    const expected = parsed.sections.find((s) => s.key === 'expected');
    expect(expected?.text).toBe('');
  });

  it('reads placeholders by their shape in any repository, not by one template', () => {
    const ours = `Charts vanish on refresh

**Steps to reproduce**
1. Go to '...'
2. Click on '....'
3. See error

**Describe the bug**
*Please describe.*
Every chart on the board goes empty after pressing refresh.`;
    const facts = buildFacts(posted(ours));
    expect((facts.steps?.items ?? []).join(' ')).not.toMatch(/\.{3}|see error/i);
    expect(facts.actual?.value).toMatch(/goes empty after pressing refresh/);
  });
});

describe('what the report states is never asked again', () => {
  it('does not ask what they see when the title states the symptom', () => {
    expect(
      kinds(posted('Invoice page stuck on a loading spinner\n\nSince this morning.')),
    ).not.toContain('actual');
  });

  it('asks what exactly is wrong when the report only judges ("my orders look wrong")', () => {
    const judged = kinds(triageInput({}, 'my orders look wrong'));
    expect(judged[0]).toBe('actual');
    expect(judged).not.toContain('expected');
    expect(kinds(triageInput({}, 'my orders show the wrong totals'))).not.toContain('actual');
  });

  it.each([
    ['a crash', 'The desktop client crashes when I drop a folder onto the window'],
    ['a blank window', 'Preferences window opens blank after the update'],
    ['a save that fails', 'Saving the form fails with "Request rejected"'],
    ['endless loading', 'The members list keeps loading forever when I open the team page'],
  ])('infers the expected result of %s instead of asking it', (_kind, text) => {
    const input = posted(text);
    const facts = buildFacts(input);
    expect(facts.expected).toMatchObject({ source: 'inferred' });
    expect(facts.expected?.evidence).toMatch(/never the intended behaviour/);
    expect(kinds(input)).not.toContain('expected');
  });

  it('still asks what was expected when the behaviour could be intended', () => {
    const input = posted(
      'Totals differ between the report and the export\n\nWhen I export the March report to CSV the totals column shows other numbers than the report page.\n\nVersion 3.2.0',
    );
    expect(kinds(input)).toContain('expected');
  });

  it('files a recorded failure: the action and the expected result are in the evidence', () => {
    const input = triageInput({ analysis: billingRecording() }, 'saving my card does nothing');
    const result = runDeterministic(input, DEFAULT_POLICY);
    expect(result.decision.kind).toBe('file');
    expect(result.facts.expected?.source).toBe('inferred');
  });
});

describe('asks for what maintainers need and is really missing', () => {
  it('asks for logs when an error has no text, and says where to find them when the project does', () => {
    const text =
      'Import fails on our server\n\nAfter upgrading our self-hosted install the CSV import fails every time. Version 2.8.1.';
    expect(kinds(posted(text))).toContain('logs');
    const hinted = questions(posted(text), {
      ...DEFAULT_POLICY,
      questionHints: { logs: 'Admin → Diagnostics → Download logs' },
    }).find((q) => q.kind === 'logs');
    expect(hinted?.text).toContain("You'll find them under Admin → Diagnostics → Download logs.");
  });

  it('does not ask for logs when the report carries a stack trace', () => {
    const text =
      'Import fails on our server\n\nThe CSV import fails every time on 2.8.1.\n\n```\nTypeError: Cannot read properties of null\n    at parseRow (import.js:41:9)\n```';
    expect(kinds(posted(text))).not.toContain('logs');
    expect(buildFacts(posted(text)).logs?.source).toBe('reporter');
  });

  it('asks whether it still happens on the latest version when the project names it', () => {
    const policy = {
      ...DEFAULT_POLICY,
      questionHints: { latest: '4.0.2', versioned: true },
    };
    const old = posted('Sidebar crashes when I collapse it\n\nRunning 3.9.0 on Windows 11.');
    const asked = questions(old, policy).find((q) => q.kind === 'latest');
    expect(asked?.text).toBe('Does it still happen on the latest version (4.0.2)?');
    const current = posted('Sidebar crashes when I collapse it\n\nRunning 4.0.2 on Windows 11.');
    expect(kinds(current, policy)).not.toContain('latest');
  });

  it('asks for a screenshot when the symptom is visual and none came with the report', () => {
    const text =
      'Chart legend overlaps the axis labels\n\nOn the usage dashboard the legend overlaps the labels at the bottom. Version 1.4.0, Firefox on Ubuntu.';
    expect(kinds(posted(text))).toContain('screenshot');
    const withImage = `${text}\n\n![legend](https://files.example.com/legend.png)`;
    expect(kinds(posted(withImage))).not.toContain('screenshot');
  });
});

describe('an OS is not the version', () => {
  it('asks for the app version when only the OS is known', () => {
    const input = posted(
      'Desktop app crashes when exporting\n\nI installed it last week. It crashes on export, every time. Windows 11.',
    );
    const facts = buildFacts(input);
    expect(facts.environment?.value).toMatch(/Windows 11/);
    expect(facts.version).toBeNull();
    expect(kinds(input)).toContain('version');
  });

  it('never takes a browser, OS or runtime number for the version', () => {
    const facts = buildFacts(
      posted('Uploads hang\n\nUploads hang on Chrome 126.0.6478 with Python 3.11 on Ubuntu 22.04.'),
    );
    expect(facts.version).toBeNull();
  });

  it('does not ask a hosted app’s customers for a version they do not have', () => {
    const input = triageInput({}, 'The invoice page crashes when I open it');
    expect(kinds(input)).not.toContain('version');
  });
});

describe('frequency is one understanding, asked alone when it is the gap', () => {
  it.each([
    ["Doesn't happen every time, maybe one try in five", /^sometimes/],
    ['It is not always reproducible', /^sometimes/],
    ['Happens every time I press Send', /^every time$/i],
    ['It fails randomly', /^randomly$/],
  ])('reads "%s" right', (text, expected) => {
    expect(extractFrequency(parseReporterText(text))).toMatch(expected);
  });

  it('never adds frequency as a filler beside other questions', () => {
    expect(kinds(posted('it does not work'))).not.toContain('frequency');
  });

  it('asks it alone for a one-off seen once', () => {
    const input = posted(
      'Totals on the team dashboard were wrong this morning\n\nThe revenue tile showed twice the real figure; it should have shown about 4,000. Version 7.1.2 on Firefox.',
    );
    expect(kinds(input)).toEqual(['frequency']);
  });
});

describe('questions quote the right thing; titles say what is wrong where', () => {
  it('quotes the reporter’s action only when it is a whole phrase', () => {
    const whole = questions(
      posted('I tried to rename a folder, nothing. Version 2.0.1 on macOS.'),
    ).map((q) => q.text);
    expect(whole.join(' ')).toMatch(/When you tried to rename a folder, /);
    const broken = questions(
      posted('When I tried to get rid of, it stays. Version 2.0.1 on macOS.'),
    ).map((q) => q.text);
    expect(broken.join(' ')).not.toMatch(/get rid of,/);
  });

  it('never takes a pasted link into the title', () => {
    const input = posted(
      'Crash on startup\n\nThe app crashes on startup. Full log: https://paste.example.org/aa8wuqk\n\nVersion 3.1.0 on Windows 10.',
    );
    const ticket = writeTicket(buildFacts(input), input);
    expect(ticket.title).not.toContain('aa8wuqk');
    expect(ticket.title).toBe('Crash on startup');
  });

  it('replaces a vague title by the symptom, led by the component the title names', () => {
    const input = posted(
      'Problem with reminders\n\nHi. When a reminder is due the notification never shows up on my phone, even though it is switched on. Version 8.2.',
    );
    expect(writeTicket(buildFacts(input), input).title).toBe(
      'Reminders: when a reminder is due the notification never shows up on my phone',
    );
    const tagged = posted(
      '[Bug] Crashing\n\nThe editor crashes when I paste a table from a spreadsheet.',
    );
    expect(writeTicket(buildFacts(tagged), tagged).title).toBe(
      'The editor crashes when I paste a table from a spreadsheet',
    );
  });

  it('keeps a reporter title that already says what is wrong', () => {
    const input = posted(
      'Search returns no results for quoted phrases\n\nAny quoted search is empty.',
    );
    expect(writeTicket(buildFacts(input), input).title).toBe(
      'Search returns no results for quoted phrases',
    );
  });

  it('tells a reporter writing in another language they may answer in it', () => {
    const text =
      'O botão de salvar não funciona\n\nQuando clico em salvar na página de perfil nada acontece e os dados não são gravados.';
    expect(foreignLanguage(text)).toBe(true);
    expect(foreignLanguage('When I click save on the profile page nothing happens at all.')).toBe(
      false,
    );
    const message = renderQuestionMessage(questions(posted(text)), null, { ownLanguage: true });
    expect(message).toContain('in any language');
  });
});

describe('the ticket keeps the reporter’s key facts', () => {
  it('carries the version, OS, steps, actual and expected result of a form', () => {
    const input = posted(FORM.replace('_No response_', 'Notes arrive again'));
    const facts = buildFacts(input);
    const proposal = writeTicket(facts, input);
    const body = renderTicketBody({
      reportId: 'rep_1',
      description: input.report.description,
      pageUrl: null,
      pageTitle: null,
      userAgent: null,
      client: {},
      sentry: {},
      reporter: null,
      account: null,
      recording: null,
      proposal,
      facts,
    });
    expect(body).toContain('**Version:** 5.12.3');
    expect(body).toContain('**Environment:** macOS 14.4');
    expect(body).toContain('Put the laptop to sleep with the app open');
    expect(body).toMatch(/\*\*What happened:\*\* After waking the laptop the sync icon stays grey/);
    expect(body).toMatch(/\*\*Expected:\*\* Notes arrive again/);
    expect(proposal.title).toBe('Sync stops after the laptop wakes from sleep');
  });
});
