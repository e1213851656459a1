import { join } from 'node:path';
import {
  type EngineResult,
  FACT_KEYS,
  type FactPicture,
  type TriageInput,
} from '../../src/modules/triage/engine/triage.types';
import type { TriageEvalReport } from '../../src/modules/triage/eval/triage-eval';
import { FakeOpenAi } from '../fakes/openai.server';
import { reproInProcess, ROOT } from '../support/process';

/**
 * `repro eval triage` on six invented reports (test/fixtures/triage/eval-reports.jsonl):
 * - acme/notes#11 gives numbered steps under a heading; its maintainer wanted the browser
 *   and the console log;
 * - #12 says almost nothing; its maintainer wanted the version;
 * - #13 says when it happens and shows a screenshot; #14 leaves the template unfilled;
 * - acme/board#7 gives a stack trace, Firefox on Windows and the version; acme/board#8 says
 *   how often, and its maintainer asked how often and on which page.
 */
const REPORTS = join(ROOT, 'test', 'fixtures', 'triage', 'eval-reports.jsonl');
const REPORT_IDS = [
  'acme/notes#11',
  'acme/notes#12',
  'acme/notes#13',
  'acme/notes#14',
  'acme/board#7',
  'acme/board#8',
];

/** Nothing listens on port 1: the eval would fail if it touched the database. */
const NO_DATABASE = 'postgres://postgres@127.0.0.1:1/none';

async function evalTriage(args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await reproInProcess(
    ['eval', 'triage', '--reports', REPORTS, ...args],
    { LOG_LEVEL: 'silent', DATABASE_URL: NO_DATABASE, ...env },
  );
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return stdout;
}

describe('repro eval triage', () => {
  it('prints, per report, what it states with the words as evidence and what the maintainer asked, then the totals', async () => {
    const stdout = await evalTriage(['--per-report']);
    expect(stdout).toMatch(/^Engine: deterministic$/m);
    for (const id of ['#11', '#12', '#13', '#14'].map((n) => `acme/notes${n}`)) {
      expect(stdout).toMatch(new RegExp(`^${id} {2}(ask|file|duplicate|escalate)`, 'm'));
    }
    expect(stdout).toContain(
      '    steps: "Steps to reproduce: 1. Open a notebook with three notes"',
    );
    expect(stdout).toContain('    logs: "Uncaught RangeError: Maximum call stack size exceeded"');
    expect(stdout).toContain(
      '    screenshot: "![export](https://img.example.org/export-button.png)"',
    );
    // The unfilled template states nothing, and its maintainer's request is outside the kinds.
    const unfilled = stdout.slice(stdout.indexOf('acme/notes#14'), stdout.indexOf('acme/board#7'));
    expect(unfilled).toContain('  stated: nothing found');
    expect(unfilled).toContain('  maintainer asked: other ("fill in the template")');
    expect(stdout).toContain('  maintainer asked: logs ("console"), environment ("Which browser")');

    const totals = /^ {2}reports: (\d+) {2}asked: (\d+) {2}filed: (\d+)$/m.exec(stdout);
    expect(totals).not.toBeNull();
    const [reports, asked, filed] = totals!.slice(1).map(Number);
    expect(reports).toBe(6);
    expect(asked + filed).toBe(6);
    expect(stdout).toMatch(/^ {2}re-asks: \d+ of \d+ questions \(\d+\.\d %\)/m);
    expect(stdout).toMatch(/^ {2}coverage: \d+ of \d+ asked reports/m);
    expect(stdout).toMatch(/^ {2}titles equal to the reporter's: \d+ of 6$/m);
  });

  it('without --per-report prints the totals only; --json gives every record', async () => {
    const text = await evalTriage([]);
    expect(text).not.toContain('acme/notes#11  ');
    expect(text).toContain('Totals');

    const json = JSON.parse(await evalTriage(['--json'])) as TriageEvalReport & {
      engine: string;
    };
    expect(json.engine).toBe('deterministic');
    expect(json.records.map((r) => r.id)).toEqual(REPORT_IDS);
    expect(json.records[5].maintainerKinds).toEqual([
      { kind: 'frequency', phrase: 'How often' },
      { kind: 'where', phrase: 'which page' },
    ]);
    expect(json.totals.reports).toBe(6);
  });

  it('tries a policy: with no questions allowed, every report is filed', async () => {
    const stdout = await evalTriage([
      '--policy',
      join(ROOT, 'test', 'fixtures', 'triage', 'policy-no-questions.json'),
    ]);
    expect(stdout).toContain('  reports: 6  asked: 0  filed: 6');
  });

  it('names the file and row of a line that is not a report', async () => {
    const notReports = join(ROOT, 'test', 'fixtures', 'triage', 'policy-invalid.json');
    const { code, stdout, stderr } = await reproInProcess(
      ['eval', 'triage', '--reports', notReports],
      { LOG_LEVEL: 'silent', DATABASE_URL: NO_DATABASE },
    );
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(`${notReports}: row 1 needs repo, number, title and body\n`);
  });

  describe('with OPENAI_API_KEY set', () => {
    const openai = new FakeOpenAi();
    beforeAll(() => openai.start());
    afterAll(() => openai.stop());

    it("runs the LLM engine and reports the kinds of the model's questions", async () => {
      // One model call per report, in the file's order: a question nothing in them answers.
      openai.scriptChat(
        ...REPORT_IDS.map(() => ({
          toolCall: {
            name: 'ask_reporter',
            arguments: {
              questions: ['How many people on your team does this block?'],
              reason: 'how much it matters is unknown',
            },
          },
        })),
      );
      const stdout = await evalTriage(['--per-report'], {
        OPENAI_API_KEY: openai.apiKey,
        OPENAI_BASE_URL: openai.baseUrl,
      });
      expect(openai.chatScriptLeft()).toBe(0);
      expect(stdout).toMatch(/^Engine: llm$/m);
      expect(
        stdout.match(/^ {4}\[impact\] How many people on your team does this block\?$/gm),
      ).toHaveLength(6);
      expect(stdout).toContain('  reports: 6  asked: 6  filed: 0');
      expect(stdout).toContain('  questions: 6  by kind: impact 6');
      expect(stdout).toContain('  re-asks: 0 of 6 questions (0.0 %)  by kind: none');
    });
  });

  describe('whatever the engine asks', () => {
    afterEach(() => jest.resetModules());

    // The engine is being rewritten; the eval measures whatever it asks. Here it always asks
    // for the steps and how often, so what the reports state decides every figure.
    it('flags a question about what the report states, with the words that state it', async () => {
      jest.resetModules();
      jest.doMock('../../src/modules/triage/engine/deterministic/deterministic-engine', () => ({
        runDeterministic: (input: TriageInput): EngineResult => ({
          engine: 'deterministic',
          facts: Object.fromEntries(FACT_KEYS.map((k) => [k, null])) as FactPicture,
          decision: {
            kind: 'ask',
            questions: [
              { key: 'steps', kind: 'steps', text: 'What did you do, step by step?' },
              { key: 'frequency', kind: 'frequency', text: 'How often does it happen?' },
            ],
            reason: `always the same two (${input.report.source})`,
          },
          usage: { prompt: 0, completion: 0, cached: 0 },
          trace: [],
        }),
      }));
      const { reproInProcess: fresh } = await import('../support/process');
      const { code, stdout, stderr } = await fresh(
        ['eval', 'triage', '--reports', REPORTS, '--per-report'],
        { LOG_LEVEL: 'silent', DATABASE_URL: NO_DATABASE },
      );
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toContain(
        '    [steps] What did you do, step by step?  RE-ASKS steps ("Steps to reproduce: 1. Open a notebook with three notes")',
      );
      expect(stdout).toContain(
        '    [frequency] How often does it happen?  RE-ASKS frequency ("Every time I drag a card to another column the board freezes.")',
      );
      expect(stdout).toContain(
        '    [frequency] How often does it happen?  RE-ASKS frequency ("Sometimes after a reload the theme is light again.")',
      );
      // The unfilled template states no steps: asking for them is no re-ask.
      const unfilled = stdout.slice(
        stdout.indexOf('acme/notes#14'),
        stdout.indexOf('acme/board#7'),
      );
      expect(unfilled).toContain('    [steps] What did you do, step by step?\n');
      // Steps stated by #11, #13 and board#7; how often by board#7 and board#8.
      expect(stdout).toContain(
        '  re-asks: 5 of 12 questions (41.7 %)  by kind: steps 3, frequency 2',
      );
      // board#8's maintainer asked how often; #13's asked for the steps.
      expect(stdout).toContain(
        '  coverage: 2 of 6 asked reports (33.3 %); of those whose maintainer asked a kind the agent can ask: 2 of 4 (50.0 %)',
      );
    });
  });
});
