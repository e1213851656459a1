/**
 * `repro eval triage` on the real vague reports (read from ../shared/datasets at run time):
 * prints the totals, and checks that our detectors and the follow-up classifier find something
 * in most reports. The engine's quality goals are the constants below, set by the lead; they
 * stay unasserted (it.todo) until the engine meets them.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY } from '../../src/modules/projects/policy';
import { triageRunner } from '../../src/modules/triage/eval/eval-runner';
import {
  type EvalReportRow,
  evaluateTriage,
  formatTriageReport,
  type TriageEvalReport,
} from '../../src/modules/triage/eval/triage-eval';
import { datasetPath } from '../support/datasets';

/**
 * The goals (issue 15) and where the deterministic engine stands on these development sets.
 * Met goals are asserted; the others keep a floor a little under what was measured, so a change
 * that makes the questions worse fails, and say the goal in their name.
 */
const GOALS = {
  /** Questions that ask for something the report already states, at most (measured 1.5 %). */
  maxReaskRate: 0.05,
  /** Asked reports whose maintainer asked an askable kind, covered (goal 60 %, measured 57.9 %). */
  minCoverageOfKnown: 0.6,
  coverageOfKnownFloor: 0.52,
  /** Filed although the maintainer needed something askable (goal 10 %, measured 21 %). */
  maxFiledWithQuestionRate: 0.1,
  filedWithQuestionCeiling: 0.26,
};

const FILES = ['vague-reports.dev.jsonl', 'vague-reports.web.dev.jsonl'];

function load(file: string): EvalReportRow[] {
  return readFileSync(datasetPath(file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EvalReportRow);
}

describe('repro eval triage on the vague reports', () => {
  let report: TriageEvalReport;
  beforeAll(async () => {
    const rows = FILES.flatMap(load);
    report = await evaluateTriage(rows, triageRunner({ policy: DEFAULT_POLICY }));
    console.log(`Deterministic engine on ${FILES.join(' + ')}\n${formatTriageReport(report)}`);
  });

  it('has both files', () => {
    expect(report.totals.reports).toBeGreaterThanOrEqual(90);
  });

  it('finds something stated in most reports, each with evidence of at most 100 characters', () => {
    const withFacts = report.records.filter((r) => r.stated.length > 0);
    expect(withFacts.length / report.records.length).toBeGreaterThanOrEqual(0.8);
    for (const fact of report.records.flatMap((r) => r.stated)) {
      expect(fact.evidence.length).toBeGreaterThan(0);
      expect(fact.evidence.length).toBeLessThanOrEqual(100);
    }
  });

  it("reads a kind in nearly every maintainer's follow-up, and an in-taxonomy kind in most", () => {
    const read = report.records.filter((r) => r.maintainerKinds.length > 0);
    expect(read.length / report.records.length).toBeGreaterThanOrEqual(0.9);
    const known = report.records.filter((r) => r.maintainerKinds.some((m) => m.kind !== 'other'));
    expect(known.length / report.records.length).toBeGreaterThanOrEqual(0.5);
  });

  it(`asks for what the report states in at most ${GOALS.maxReaskRate * 100} % of questions`, () => {
    expect(report.totals.reaskRate).not.toBeNull();
    expect(report.totals.reaskRate!).toBeLessThanOrEqual(GOALS.maxReaskRate);
  });

  it(`covers what the maintainer asked in at least ${GOALS.coverageOfKnownFloor * 100} % of asked reports (goal ${GOALS.minCoverageOfKnown * 100} %)`, () => {
    expect(report.totals.coverageOfKnown!).toBeGreaterThanOrEqual(GOALS.coverageOfKnownFloor);
  });

  it(`files at most ${GOALS.filedWithQuestionCeiling * 100} % of reports whose maintainer needed something askable (goal ${GOALS.maxFiledWithQuestionRate * 100} %)`, () => {
    const rate = report.totals.filedWithMaintainerQuestion.length / report.totals.reports;
    expect(rate).toBeLessThanOrEqual(GOALS.filedWithQuestionCeiling);
  });
});
