import {
  errorTextSimilarity,
  normalizeErrorText,
  parseStackLine,
} from '../../common/signals/error-text';
import { templatePath } from '../../common/signals/route-template';

/**
 * Scores Sentry issues against a report: which issue is the error behind what the customer saw,
 * how sure we are (0–1), and why, in words. Pure: the service fetches, this decides.
 */

/** What the report tells us, gathered before any Sentry call. */
export interface MatchEvidence {
  /** When the report arrived, epoch ms. */
  reportedAt: number;
  /** When the recording shows the failure, epoch ms; null without one. */
  failureAt: number | null;
  explicit: { eventId?: string; replayId?: string; traceId?: string };
  user: { email: string | null; id: string | null };
  /** Console errors and uncaught exceptions from the recording. */
  errors: { message: string; stack: string[]; uncaught: boolean }[];
  /** Templated paths the report concerns, most relevant first (failure page, page URL, others). */
  routes: string[];
}

/** How a Sentry event came to our attention, strongest first. */
export type SightingVia = 'event_id' | 'replay' | 'trace' | 'user' | 'url';

/** One Sentry event we found, and how. */
export interface Sighting {
  issueId: string;
  eventId: string | null;
  /** When the event happened, epoch ms. */
  at: number | null;
  via: SightingVia;
  url?: string | null;
  transaction?: string | null;
}

export interface IssueFacts {
  id: string;
  shortId: string;
  title: string;
  culprit?: string | null;
  metadata?: { type?: string; value?: string } | null;
}

export interface ScoredCandidate {
  issueId: string;
  shortId: string | null;
  title: string | null;
  /** 0..1. */
  score: number;
  /** Strongest first, in words an engineer reads in the ticket. */
  reasons: string[];
  /** The event that best ties the issue to the report, when one does. */
  eventId: string | null;
  eventAt: number | null;
}

export const MATCH_WEIGHTS = {
  event_id: 1,
  replay: 0.97,
  trace: 0.95,
  user: 0.75,
  errorText: 0.8,
  culprit: 0.15,
  url: 0.55,
} as const;

/** Events this close to the report count fully; further out, their weight fades to 60 %. */
const NEAR_MS = 5 * 60_000;
const FADE_OVER_MS = 25 * 60_000;
/** Error texts less alike than this are different errors. */
const MIN_TEXT_SIMILARITY = 0.7;

interface Signal {
  kind: string;
  weight: number;
  reason: string;
  sighting?: Sighting;
}

/** Every issue any evidence points at, best first. Issues with no signal are left out. */
export function scoreCandidates(
  evidence: MatchEvidence,
  issues: IssueFacts[],
  sightings: Sighting[],
): ScoredCandidate[] {
  const facts = new Map(issues.map((i) => [i.id, i]));
  const ids = new Set([...facts.keys(), ...sightings.map((s) => s.issueId)]);
  const anchor = evidence.failureAt ?? evidence.reportedAt;
  const recorded = evidence.errors
    .map((e) => ({ ...e, normalized: normalizeErrorText(e.message) }))
    .filter((e) => e.normalized.length > 0);

  const scored: ScoredCandidate[] = [];
  for (const id of ids) {
    const issue = facts.get(id);
    const seen = sightings.filter((s) => s.issueId === id);
    const signals = [
      ...seen.flatMap((s) => [
        sightingSignal(evidence, anchor, s),
        // An event found any other way may also show the same page: a second, independent signal.
        s.via === 'url' ? null : urlSignal(evidence, anchor, s),
      ]),
      ...(issue ? textSignals(issue, recorded) : []),
    ].filter((s): s is Signal => s !== null);
    if (!signals.length) continue;

    // The strongest signal of each kind, combined as independent evidence (noisy-OR).
    const best = new Map<string, Signal>();
    for (const s of signals) {
      const current = best.get(s.kind);
      if (!current || s.weight > current.weight) best.set(s.kind, s);
    }
    const kept = [...best.values()].sort((a, b) => b.weight - a.weight);
    const score = 1 - kept.reduce((miss, s) => miss * (1 - s.weight), 1);
    const tie = kept.find((s) => s.sighting?.eventId)?.sighting ?? seen[0];
    scored.push({
      issueId: id,
      shortId: issue?.shortId ?? null,
      title: issue?.title ?? null,
      score: round(score),
      reasons: kept.map((s) => s.reason),
      eventId: tie?.eventId ?? null,
      eventAt: tie?.at ?? null,
    });
  }
  return scored.sort(
    (a, b) =>
      b.score - a.score ||
      distance(a.eventAt, anchor) - distance(b.eventAt, anchor) ||
      a.issueId.localeCompare(b.issueId),
  );
}

/** The best candidate at or above the threshold, and the rest as runners-up. */
export function pickMatch(
  candidates: ScoredCandidate[],
  threshold: number,
): { match: ScoredCandidate | null; runnersUp: ScoredCandidate[] } {
  const [first, ...rest] = candidates;
  if (first && first.score >= threshold) return { match: first, runnersUp: rest };
  return { match: null, runnersUp: candidates };
}

function sightingSignal(evidence: MatchEvidence, anchor: number, s: Sighting): Signal | null {
  const when = s.at === null ? '' : `, ${relative(s.at, evidence.reportedAt)}`;
  switch (s.via) {
    case 'event_id':
      return {
        kind: 'explicit',
        weight: MATCH_WEIGHTS.event_id,
        reason: `reported with its Sentry event ${short(s.eventId ?? evidence.explicit.eventId)}`,
        sighting: s,
      };
    case 'replay':
      return {
        kind: 'explicit',
        weight: MATCH_WEIGHTS.replay,
        reason: `recorded in the reporter's Sentry replay ${short(evidence.explicit.replayId)}${when}`,
        sighting: s,
      };
    case 'trace':
      return {
        kind: 'explicit',
        weight: MATCH_WEIGHTS.trace,
        reason: `same trace ${short(evidence.explicit.traceId)}${when}`,
        sighting: s,
      };
    case 'user':
      return {
        kind: 'user',
        weight: MATCH_WEIGHTS.user * proximity(s.at, anchor),
        reason: `same user ${userLabel(evidence.user)}${when}`,
        sighting: s,
      };
    case 'url':
      return urlSignal(evidence, anchor, s);
  }
}

function urlSignal(evidence: MatchEvidence, anchor: number, s: Sighting): Signal | null {
  const route = sameRoute(evidence.routes, s);
  if (!route) return null;
  const when = s.at === null ? '' : `, ${relative(s.at, evidence.reportedAt)}`;
  return {
    kind: 'url',
    weight: MATCH_WEIGHTS.url * proximity(s.at, anchor),
    reason: `seen on the same page ${route}${when}`,
    sighting: s,
  };
}

/** How alike the issue's title is to an error the recording caught, and whether its culprit is in that error's stack. */
function textSignals(
  issue: IssueFacts,
  recorded: (MatchEvidence['errors'][number] & { normalized: string })[],
): Signal[] {
  const titles = [
    issue.title,
    [issue.metadata?.type, issue.metadata?.value].filter(Boolean).join(': '),
  ]
    .map(normalizeErrorText)
    .filter((t) => t.length > 0);
  let best: { similarity: number; error: (typeof recorded)[number] } | null = null;
  for (const error of recorded) {
    for (const title of titles) {
      const similarity = errorTextSimilarity(error.normalized, title);
      if (!best || similarity > best.similarity) best = { similarity, error };
    }
  }
  if (!best || best.similarity < MIN_TEXT_SIMILARITY) return [];
  const signals: Signal[] = [
    {
      kind: 'text',
      weight: MATCH_WEIGHTS.errorText * best.similarity,
      reason:
        best.similarity === 1
          ? `error text matches: ${issue.title}`
          : `error text ${Math.round(best.similarity * 100)} % alike: ${issue.title}`,
    },
  ];
  const culprit = culpritMatch(issue.culprit, best.error.stack);
  if (culprit) {
    signals.push({
      kind: 'culprit',
      weight: MATCH_WEIGHTS.culprit,
      reason: `culprit ${issue.culprit} is in the recorded stack (${culprit})`,
    });
  }
  return signals;
}

/** The recorded frame (function or file) that the issue's culprit names, if any. */
function culpritMatch(culprit: string | null | undefined, stack: string[]): string | null {
  if (!culprit) return null;
  const text = culprit.toLowerCase();
  for (const line of stack.slice(0, 5)) {
    const frame = parseStackLine(line);
    if (!frame) continue;
    const file =
      frame.file
        .split('/')
        .pop()
        ?.replace(/\.[a-z]+$/i, '') ?? '';
    if (frame.function && new RegExp(`\\b${escape(frame.function.toLowerCase())}\\b`).test(text)) {
      return frame.function;
    }
    if (file.length >= 3 && text.includes(file.toLowerCase())) return frame.file;
  }
  return null;
}

function sameRoute(routes: string[], s: Sighting): string | null {
  const seen = [templatePath(s.url), templatePath(s.transaction)].filter(
    (r): r is string => r !== null && r !== '/',
  );
  return routes.find((r) => seen.includes(r)) ?? null;
}

/** 1 within five minutes of the failure, fading linearly to 0.6 half an hour out. */
export function proximity(at: number | null, anchor: number): number {
  if (at === null) return 0.6;
  const away = Math.abs(at - anchor);
  if (away <= NEAR_MS) return 1;
  return 1 - 0.4 * Math.min(1, (away - NEAR_MS) / FADE_OVER_MS);
}

/** "2 min before report", "40 s after report". */
export function relative(at: number, reportedAt: number): string {
  const delta = at - reportedAt;
  const seconds = Math.round(Math.abs(delta) / 1000);
  const amount = seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  return `${amount} ${delta <= 0 ? 'before' : 'after'} report`;
}

/** `ana@…`: enough for an engineer to recognise, not an address to copy. */
export function userLabel(user: MatchEvidence['user']): string {
  if (user.email) return `${user.email.split('@')[0]}@…`;
  return user.id ? `id ${user.id}` : 'unknown';
}

function short(id: string | null | undefined): string {
  return id ? `${id.replace(/-/g, '').slice(0, 8)}…` : '(unknown)';
}

function distance(at: number | null, anchor: number): number {
  return at === null ? Number.MAX_SAFE_INTEGER : Math.abs(at - anchor);
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
