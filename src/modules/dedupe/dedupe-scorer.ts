import type { SignalKind } from './entities/report-signal.entity';

/**
 * Scores candidates for "is this report the same bug as that issue?" from what retrieval found,
 * and decides. Pure: no database, no Nest. A wrong merge costs more than a missed one, so text
 * alone reaches the automatic threshold only when the two read almost the same.
 */

/** A stemmed query word and how telling it is. */
export interface QueryTerm {
  lexeme: string;
  /** Inverse document frequency over the project's open issues (1 when unknown). */
  idf: number;
  /** In the report's title (its first line), not only its body. */
  inTitle: boolean;
  /** In no open issue the counts know of: it counts against reports, and issues that have it. */
  unseen?: boolean;
}

/** Per query term, where the candidate has it: 2 in its title, 1 in its body only, 0 not at all. */
export type TermMatch = 0 | 1 | 2;

export interface CandidateFeatures {
  kind: 'issue' | 'report';
  /** tracker_issues.id, or the report's id. */
  id: string;
  /** ENG-42 for issues; null for reports not filed yet. */
  key: string | null;
  title: string;
  url: string | null;
  /** pg_trgm similarity of the two titles, 0..1. */
  titleSimilarity: number;
  /** Aligned with the query's terms. */
  termMatches: TermMatch[];
  /** Structured signals the candidate shares with the report. */
  sharedSignals: { kind: SignalKind; value: string; label?: string }[];
  /** Cosine similarity of the two texts' embeddings, when semantic re-ranking ran. */
  semantic?: number;
  /** Kinds of telling signal (error, failing request, Sentry issue) the candidate has at all. */
  signalKinds?: SignalKind[];
  /** A report in flight that has not decided yet whether it is a new bug. */
  pending?: boolean;
  /** Of a filed report, its ticket's open issue (tracker_issues.id). */
  issueId?: string | null;
}

export interface ScoredCandidate {
  kind: 'issue' | 'report';
  id: string;
  key: string | null;
  title: string;
  url: string | null;
  score: number;
  textScore: number;
  reasons: string[];
}

export interface Thresholds {
  /** At or above: merged automatically. */
  duplicate: number;
  /** At or above (and below `duplicate`): a person confirms. */
  possible: number;
}

export type Decision = 'duplicate' | 'possible_duplicate' | 'new';

export const SIGNAL_WEIGHTS: Record<SignalKind, number> = {
  sentry_issue: 0.9,
  error_fingerprint: 0.8,
  failing_request: 0.5,
  clicked_element: 0.35,
  route: 0.15,
};

const SIGNAL_WORDS: Record<SignalKind, string> = {
  sentry_issue: 'same Sentry issue',
  error_fingerprint: 'same error',
  failing_request: 'same failing request',
  clicked_element: 'same click',
  route: 'same page',
};

/** How much of the text evidence can count on its own: below 1, so text alone stays cautious. */
export const TEXT_WEIGHT = 0.92;
const BODY_TERM = 0.45;

/**
 * The share of the report's (idf-weighted) words the candidate has, the report's title words
 * counting double and fully only when in the candidate's title too. 1 when the candidate has
 * every telling word of the report where the report has it.
 */
export function termCoverage(
  terms: QueryTerm[],
  matches: TermMatch[],
  kind: CandidateFeatures['kind'] = 'issue',
): number {
  let total = 0;
  let found = 0;
  terms.forEach((term, i) => {
    // A word the counts say no issue has: an issue that has it anyway (counted before it was
    // filed) gains, one without it loses nothing.
    if (term.unseen && kind === 'issue' && !matches[i]) return;
    const weight = term.idf * (term.inTitle ? 2 : 1);
    total += weight;
    const match = matches[i] ?? 0;
    // A title word found only in the candidate's body is a weaker match; a body word anywhere is one.
    found +=
      weight * (match === 2 || (match === 1 && !term.inTitle) ? 1 : match === 1 ? BODY_TERM : 0);
  });
  return total > 0 ? found / total : 0;
}

/** Embedding cosines below this say "unrelated"; the scale runs from here to 1. */
const SEMANTIC_FLOOR = 0.3;
const SEMANTIC_WEIGHT = 0.5;

/** Text similarity in 0..1 from word coverage and title trigrams (and meaning, when embedded). */
export function textScore(terms: QueryTerm[], c: CandidateFeatures): number {
  const lexical = lexicalScore(terms, c);
  if (c.semantic === undefined) return lexical;
  const meaning = Math.max(0, Math.min(1, (c.semantic - SEMANTIC_FLOOR) / (1 - SEMANTIC_FLOOR)));
  return (1 - SEMANTIC_WEIGHT) * lexical + SEMANTIC_WEIGHT * meaning;
}

function lexicalScore(terms: QueryTerm[], c: CandidateFeatures): number {
  const coverage = termCoverage(terms, c.termMatches, c.kind);
  // Either measure alone can be fooled (short titles, boilerplate bodies); together less so.
  return 0.5 * coverage + 0.3 * c.titleSimilarity + 0.2 * coverage * c.titleSimilarity;
}

/** Telling evidence on both sides that differs: the same words, but another bug. */
const CONFLICT_WORDS: Partial<Record<SignalKind, string>> = {
  sentry_issue: 'a different Sentry issue',
  error_fingerprint: 'a different error',
  failing_request: 'a different failing request',
};
/** What text similarity keeps per kind of disagreeing evidence. */
const CONFLICT_FACTOR = 0.5;

export function scoreCandidate(
  terms: QueryTerm[],
  c: CandidateFeatures,
  queryKinds: SignalKind[] = [],
): ScoredCandidate {
  const conflicts = (Object.keys(CONFLICT_WORDS) as SignalKind[]).filter(
    (kind) =>
      queryKinds.includes(kind) &&
      (c.signalKinds ?? []).includes(kind) &&
      !c.sharedSignals.some((s) => s.kind === kind),
  );
  const text = textScore(terms, c) * CONFLICT_FACTOR ** conflicts.length;
  const best = new Map<SignalKind, CandidateFeatures['sharedSignals'][number]>();
  for (const s of c.sharedSignals) if (!best.has(s.kind)) best.set(s.kind, s);
  const signals = [...best.values()].sort(
    (a, b) => SIGNAL_WEIGHTS[b.kind] - SIGNAL_WEIGHTS[a.kind],
  );
  const miss = signals.reduce((m, s) => m * (1 - SIGNAL_WEIGHTS[s.kind]), 1 - text * TEXT_WEIGHT);
  const reasons = [
    ...signals.map((s) => `${SIGNAL_WORDS[s.kind]} ${s.label ?? s.value}`),
    ...textReasons(terms, c),
    ...conflicts.map((kind) => `but ${CONFLICT_WORDS[kind]}`),
  ];
  return {
    kind: c.kind,
    id: c.id,
    key: c.key,
    title: c.title,
    url: c.url,
    score: round(1 - miss),
    textScore: round(text),
    reasons,
  };
}

/** Every candidate scored, best first. */
export function rankCandidates(
  terms: QueryTerm[],
  candidates: CandidateFeatures[],
  queryKinds: SignalKind[] = [],
): ScoredCandidate[] {
  const pending = new Set(candidates.filter((c) => c.pending).map((c) => c.id));
  return candidates
    .map((c) => scoreCandidate(terms, c, queryKinds))
    .sort(
      (a, b) =>
        b.score - a.score ||
        b.textScore - a.textScore ||
        // Equal evidence: a ticket or a report that will become one, before a report undecided.
        Number(pending.has(a.id)) - Number(pending.has(b.id)) ||
        // Equal evidence: the older ticket (ENG-9 before ENG-10), which duplicates usually point to.
        (a.key ?? '\uffff').localeCompare(b.key ?? '\uffff', 'en', { numeric: true }) ||
        a.id.localeCompare(b.id),
    );
}

/**
 * A filed report and its ticket are one candidate: the ticket, scored by the better of its own
 * text and the words of the report it was filed from. `issueOf` maps such reports to their
 * ticket's issue; `ranked` is best first, and so is the result.
 */
export function asTickets(
  ranked: ScoredCandidate[],
  issueOf: Map<string, string>,
): ScoredCandidate[] {
  const byId = new Map(ranked.map((c) => [c.id, c]));
  const seen = new Set<string>();
  const result: ScoredCandidate[] = [];
  for (const c of ranked) {
    const issueId = c.kind === 'report' ? issueOf.get(c.id) : undefined;
    const issue = issueId ? byId.get(issueId) : undefined;
    if (!issue) {
      if (!seen.has(c.id)) result.push(c);
      seen.add(c.id);
      continue;
    }
    if (seen.has(issue.id)) continue;
    seen.add(issue.id);
    result.push({ ...issue, score: c.score, textScore: c.textScore, reasons: c.reasons });
  }
  return result;
}

export function decide(best: ScoredCandidate | undefined, thresholds: Thresholds): Decision {
  if (!best) return 'new';
  if (best.score >= thresholds.duplicate) return 'duplicate';
  if (best.score >= thresholds.possible) return 'possible_duplicate';
  return 'new';
}

function textReasons(terms: QueryTerm[], c: CandidateFeatures): string[] {
  const reasons: string[] = [];
  if (c.semantic !== undefined && c.semantic >= 0.5) {
    reasons.push(`meaning similarity ${c.semantic.toFixed(2)}`);
  }
  if (c.titleSimilarity >= 0.3) reasons.push(`title similarity ${c.titleSimilarity.toFixed(2)}`);
  const shared = terms
    .map((t, i) => ({ t, m: c.termMatches[i] ?? 0 }))
    .filter((x) => x.m > 0)
    .sort((a, b) => b.t.idf - a.t.idf)
    .slice(0, 5)
    .map((x) => x.t.lexeme);
  if (shared.length) reasons.push(`shares the words ${shared.join(', ')}`);
  return reasons;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
