/**
 * `repro eval triage`: runs the agent on real reports that a maintainer answered with a
 * follow-up, and measures its questions against what each report already states (re-asks) and
 * against what the maintainer asked (coverage). Pure: the caller says how the agent runs.
 */
import {
  QUESTION_KINDS,
  type FactPicture,
  type QuestionKind,
  type TriageDecision,
} from '../engine/triage.types';
import { redactText } from '../../../privacy/redaction';
import { type FollowupAsk, followupKinds, kindCovers } from './followup-kinds';
import { type StatedFact, statedFacts } from './stated-facts';

/** One line of a vague-reports file. */
export interface EvalReportRow {
  repo: string;
  number: number;
  title: string;
  body: string;
  url?: string;
  maintainer_followup?: string | null;
  followup_author?: string | null;
}

/** What the agent made of one report. */
export interface EvalRun {
  facts: FactPicture;
  decision: TriageDecision;
  /** The ticket title it would write when it asks (a filed decision carries its own). */
  draftTitle?: string;
}

export interface EvalQuestion {
  kind: QuestionKind;
  text: string;
  /** Facts the report already states that this question asks for again. */
  reasks: StatedFact[];
}

export interface EvalRecord {
  /** repo#number */
  id: string;
  decision: TriageDecision['kind'];
  questions: EvalQuestion[];
  stated: StatedFact[];
  maintainerKinds: FollowupAsk[];
  /** Asked, and some question's kind is one the maintainer asked for. */
  covered: boolean;
  title: string | null;
  /** The title is the reporter's own, word for word (case and spaces aside). */
  titleIsReporters: boolean;
}

export interface EvalTotals {
  reports: number;
  asked: number;
  filed: number;
  questions: number;
  /** Questions that ask for at least one stated fact. */
  reasks: number;
  reaskRate: number | null;
  /** Asked reports where some question covers a kind the maintainer asked. */
  covered: number;
  coverage: number | null;
  /** The same, over asked reports whose maintainer asked at least one in-taxonomy kind. */
  askedWithKnownKinds: number;
  coveredOfKnown: number;
  coverageOfKnown: number | null;
  /** Filed although the maintainer asked for something the agent could have asked. */
  filedWithMaintainerQuestion: { id: string; kinds: QuestionKind[] }[];
  titles: number;
  titlesEqualReporters: number;
  questionsByKind: Partial<Record<QuestionKind, number>>;
  reasksByKind: Partial<Record<QuestionKind, number>>;
  maintainerByKind: Partial<Record<QuestionKind | 'other', number>>;
  statedByKind: Partial<Record<StatedFact['kind'], number>>;
}

export interface TriageEvalReport {
  records: EvalRecord[];
  totals: EvalTotals;
}

/** The report as the API would receive it: the title, a blank line, the body. */
export function rowDescription(row: EvalReportRow): string {
  return `${row.title}\n\n${row.body ?? ''}`.trim();
}

/** Which stated facts a question of `kind` asks for again (same kind only). */
export function reasksOf(kind: QuestionKind, stated: StatedFact[]): StatedFact[] {
  return stated.filter((s) => s.kind === kind);
}

const normal = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
const rate = (n: number, of: number) => (of ? n / of : null);

function bump<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Runs the agent on each row, one after another, and measures it. The report and the follow-up
 * are read redacted, as the engine reads the report: the evidence printed is what the agent saw,
 * and no email address or card number of a real tracker reaches the output.
 */
export async function evaluateTriage(
  rows: EvalReportRow[],
  run: (row: EvalReportRow) => EvalRun | Promise<EvalRun>,
): Promise<TriageEvalReport> {
  const records: EvalRecord[] = [];
  for (const row of rows) {
    const result = await run(row);
    const stated = statedFacts(redactText(rowDescription(row)).value);
    const maintainerKinds = followupKinds(
      row.maintainer_followup ? redactText(row.maintainer_followup).value : null,
    );
    const decision = result.decision;
    const questions: EvalQuestion[] =
      decision.kind === 'ask'
        ? decision.questions.map((q) => {
            const kind = q.kind ?? q.key;
            return { kind, text: q.text, reasks: reasksOf(kind, stated) };
          })
        : [];
    const covered =
      decision.kind === 'ask' &&
      questions.some((q) => maintainerKinds.some((m) => kindCovers(q.kind, m.kind)));
    const title = decision.kind === 'ask' ? (result.draftTitle ?? null) : decision.ticket.title;
    records.push({
      id: `${row.repo}#${row.number}`,
      decision: decision.kind,
      questions,
      stated,
      maintainerKinds,
      covered,
      title,
      titleIsReporters: title !== null && normal(title) === normal(redactText(row.title).value),
    });
  }
  return { records, totals: totalsOf(records) };
}

function totalsOf(records: EvalRecord[]): EvalTotals {
  const asked = records.filter((r) => r.decision === 'ask');
  const known = (r: EvalRecord) => r.maintainerKinds.some((m) => m.kind !== 'other');
  const questions = records.flatMap((r) => r.questions);
  const reasks = questions.filter((q) => q.reasks.length > 0);
  const covered = asked.filter((r) => r.covered).length;
  const askedKnown = asked.filter(known);
  const coveredKnown = askedKnown.filter((r) => r.covered).length;
  const titled = records.filter((r) => r.title !== null);
  const totals: EvalTotals = {
    reports: records.length,
    asked: asked.length,
    filed: records.length - asked.length,
    questions: questions.length,
    reasks: reasks.length,
    reaskRate: rate(reasks.length, questions.length),
    covered,
    coverage: rate(covered, asked.length),
    askedWithKnownKinds: askedKnown.length,
    coveredOfKnown: coveredKnown,
    coverageOfKnown: rate(coveredKnown, askedKnown.length),
    filedWithMaintainerQuestion: records
      .filter((r) => r.decision !== 'ask' && known(r))
      .map((r) => ({
        id: r.id,
        kinds: r.maintainerKinds.flatMap((m) => (m.kind === 'other' ? [] : [m.kind])),
      })),
    titles: titled.length,
    titlesEqualReporters: titled.filter((r) => r.titleIsReporters).length,
    questionsByKind: {},
    reasksByKind: {},
    maintainerByKind: {},
    statedByKind: {},
  };
  for (const q of questions) bump(totals.questionsByKind, q.kind);
  for (const q of reasks) bump(totals.reasksByKind, q.kind);
  for (const r of records) {
    for (const m of r.maintainerKinds) bump(totals.maintainerByKind, m.kind);
    for (const s of r.stated) bump(totals.statedByKind, s.kind);
  }
  return totals;
}

const pct = (n: number | null) => (n === null ? 'n/a' : `${(n * 100).toFixed(1)} %`);

function byKind(counts: Partial<Record<string, number>>): string {
  const order = [...QUESTION_KINDS, 'other'];
  const keys = Object.keys(counts).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return keys.length ? keys.map((k) => `${k} ${counts[k]}`).join(', ') : 'none';
}

/** The report for people: each report (with `perReport`), then the totals. */
export function formatTriageReport(
  report: TriageEvalReport,
  options: { perReport?: boolean } = {},
): string {
  const lines: string[] = [];
  if (options.perReport) {
    for (const r of report.records) {
      lines.push(
        `${r.id}  ${r.decision}${r.decision === 'ask' && r.covered ? '  (covers the maintainer)' : ''}`,
      );
      if (r.title !== null) {
        lines.push(`  title: ${r.title}${r.titleIsReporters ? "  (the reporter's own)" : ''}`);
      }
      if (r.questions.length) lines.push('  questions:');
      for (const q of r.questions) {
        const flags = q.reasks.map((s) => `RE-ASKS ${s.kind} (${JSON.stringify(s.evidence)})`);
        lines.push(`    [${q.kind}] ${q.text}${flags.length ? `  ${flags.join('; ')}` : ''}`);
      }
      lines.push(r.stated.length ? '  stated:' : '  stated: nothing found');
      for (const s of r.stated) lines.push(`    ${s.kind}: ${JSON.stringify(s.evidence)}`);
      lines.push(
        `  maintainer asked: ${
          r.maintainerKinds.length
            ? r.maintainerKinds.map((m) => `${m.kind} (${JSON.stringify(m.phrase)})`).join(', ')
            : 'nothing found'
        }`,
      );
      lines.push('');
    }
  }
  const t = report.totals;
  lines.push(
    'Totals',
    `  reports: ${t.reports}  asked: ${t.asked}  filed: ${t.filed}`,
    `  questions: ${t.questions}  by kind: ${byKind(t.questionsByKind)}`,
    `  re-asks: ${t.reasks} of ${t.questions} questions (${pct(t.reaskRate)})  by kind: ${byKind(t.reasksByKind)}`,
    `  coverage: ${t.covered} of ${t.asked} asked reports (${pct(t.coverage)}); of those whose maintainer asked a kind the agent can ask: ${t.coveredOfKnown} of ${t.askedWithKnownKinds} (${pct(t.coverageOfKnown)})`,
    `  filed though the maintainer asked something the agent can ask: ${t.filedWithMaintainerQuestion.length}${
      t.filedWithMaintainerQuestion.length
        ? ` (${t.filedWithMaintainerQuestion.map((f) => `${f.id}: ${f.kinds.join(', ')}`).join('; ')})`
        : ''
    }`,
    `  titles equal to the reporter's: ${t.titlesEqualReporters} of ${t.titles}`,
    `  maintainer asked, by kind: ${byKind(t.maintainerByKind)}`,
    `  stated in the reports, by kind: ${byKind(t.statedByKind)}`,
  );
  return `${lines.join('\n')}\n`;
}
