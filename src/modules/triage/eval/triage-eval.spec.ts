import {
  FACT_KEYS,
  type FactPicture,
  type Question,
  type TicketProposal,
} from '../engine/triage.types';
import {
  type EvalReportRow,
  type EvalRun,
  evaluateTriage,
  formatTriageReport,
} from './triage-eval';

const EMPTY = Object.fromEntries(FACT_KEYS.map((k) => [k, null])) as FactPicture;

function row(number: number, title: string, body: string, followup: string): EvalReportRow {
  return { repo: 'acme/notes', number, title, body, maintainer_followup: followup };
}

function ask(...questions: Question[]): EvalRun {
  return {
    facts: EMPTY,
    decision: { kind: 'ask', questions, reason: 'gaps' },
    draftTitle: 'Draft',
  };
}

function file(title: string): EvalRun {
  const ticket: TicketProposal = {
    title,
    summary: '',
    steps: [],
    expected: null,
    actual: null,
    severity: 'medium',
    labels: [],
  };
  return { facts: EMPTY, decision: { kind: 'file', ticket, confidence: 0.9, reason: 'complete' } };
}

// Three invented reports: one states its steps and is asked for them again; one is asked for
// the version the maintainer wanted; one is filed although the maintainer wanted the logs.
const rows = [
  row(
    1,
    'Pinned notes jump to the bottom',
    '### Steps to reproduce\n1. Pin a note\n2. Reload the page',
    'Which version are you on?',
  ),
  row(2, 'Sync icon spins forever', 'It never stops spinning.', 'What version of the app is this?'),
  row(
    3,
    'Search misses accented words',
    'Searching "café" finds nothing.',
    'Can you share the logs?',
  ),
];

const runs: Record<number, EvalRun> = {
  1: ask(
    { key: 'steps', kind: 'steps', text: 'What did you do, step by step?' },
    { key: 'environment', kind: 'environment', text: 'Which browser?' },
  ),
  2: ask({ key: 'version', kind: 'latest', text: 'Does it happen on the newest version?' }),
  3: file('search misses   ACCENTED words'),
};

describe('evaluateTriage', () => {
  it('flags a question that asks for a stated fact, with the evidence', async () => {
    const report = await evaluateTriage(rows, (r) => runs[r.number]);
    const first = report.records[0];
    expect(first.id).toBe('acme/notes#1');
    expect(first.questions[0]).toEqual({
      kind: 'steps',
      text: 'What did you do, step by step?',
      reasks: [{ kind: 'steps', evidence: 'Steps to reproduce: 1. Pin a note' }],
    });
    expect(first.questions[1].reasks).toEqual([]);
    expect(first.covered).toBe(false);
  });

  it('counts a newest-version question as covering a version follow-up', async () => {
    const report = await evaluateTriage(rows, (r) => runs[r.number]);
    expect(report.records[1].maintainerKinds.map((m) => m.kind)).toEqual(['version']);
    expect(report.records[1].covered).toBe(true);
  });

  it('totals re-asks, coverage, filed-with-a-question and reporter titles', async () => {
    const { totals, records } = await evaluateTriage(rows, (r) => runs[r.number]);
    expect(records[2].titleIsReporters).toBe(true);
    expect(totals).toMatchObject({
      reports: 3,
      asked: 2,
      filed: 1,
      questions: 3,
      reasks: 1,
      covered: 1,
      coverage: 0.5,
      askedWithKnownKinds: 2,
      coverageOfKnown: 0.5,
      filedWithMaintainerQuestion: [{ id: 'acme/notes#3', kinds: ['logs'] }],
      titles: 3,
      titlesEqualReporters: 1,
      questionsByKind: { steps: 1, environment: 1, latest: 1 },
      reasksByKind: { steps: 1 },
    });
    expect(totals.reaskRate).toBeCloseTo(1 / 3);
  });

  it('reads the report redacted, as the engine does: no email address in the evidence', async () => {
    const report = await evaluateTriage(
      [
        row(
          4,
          'Invites bounce',
          'Every time I invite mia.k@example.net the invite bounces.',
          'How often?',
        ),
      ],
      () => ask({ key: 'frequency', kind: 'frequency', text: 'How often does it bounce?' }),
    );
    const evidence = report.records[0].questions[0].reasks[0].evidence;
    expect(evidence).toMatch(/^Every time I invite /);
    expect(evidence).not.toContain('mia.k@example.net');
  });

  it('reads a question stored without a kind as its key', async () => {
    const report = await evaluateTriage([rows[0]], () =>
      ask({ key: 'steps', text: 'Steps, please?' }),
    );
    expect(report.records[0].questions[0].kind).toBe('steps');
    expect(report.records[0].questions[0].reasks).toHaveLength(1);
  });
});

describe('formatTriageReport', () => {
  it('shows each question with its kind, a re-ask with its evidence, and the totals', async () => {
    const report = await evaluateTriage(rows, (r) => runs[r.number]);
    const text = formatTriageReport(report, { perReport: true });
    expect(text).toContain('acme/notes#1  ask');
    expect(text).toContain(
      '[steps] What did you do, step by step?  RE-ASKS steps ("Steps to reproduce: 1. Pin a note")',
    );
    expect(text).toContain('maintainer asked: logs ("logs")');
    expect(text).toContain('re-asks: 1 of 3 questions (33.3 %)');
    expect(text).toContain('coverage: 1 of 2 asked reports (50.0 %)');
    expect(text).toContain(
      'filed though the maintainer asked something the agent can ask: 1 (acme/notes#3: logs)',
    );
    expect(formatTriageReport(report)).not.toContain('acme/notes#1  ask');
  });
});
