import { stripQuery } from '../recordings/analyzer/text';
import type { SentryBreadcrumb, SentryEvent, SentryFrame, SentryIssue } from './sentry-api.types';
import type { ScoredCandidate } from './sentry-matcher';

/** What a ticket shows of the matched Sentry issue. Pure data, built from Sentry's responses. */
export interface SentryAttachment {
  id: string;
  shortId: string;
  title: string;
  permalink: string;
  culprit: string | null;
  events: number | null;
  usersAffected: number | null;
  firstSeen: string | null;
  lastSeen: string | null;
  release: string | null;
  environment: string | null;
  /** The event the match rests on (or the issue's latest). */
  eventId: string | null;
  /** In-app frames, the crashing one first: `file:line function`. */
  frames: string[];
  /** Breadcrumbs in the minute before that event, oldest first. */
  breadcrumbs: { at: string; category: string; message: string }[];
  replayUrl: string | null;
  score: number;
  reasons: string[];
}

const MAX_FRAMES = 5;
const MAX_BREADCRUMBS = 8;
const BREADCRUMB_WINDOW_MS = 60_000;

export function buildAttachment(
  candidate: ScoredCandidate,
  issue: SentryIssue,
  event: SentryEvent | null,
  replayUrl: string | null,
): SentryAttachment {
  const count = Number(issue.count);
  return {
    id: issue.id,
    shortId: issue.shortId,
    title: issue.title,
    permalink: issue.permalink,
    culprit: issue.culprit ?? event?.culprit ?? null,
    events: Number.isFinite(count) ? count : null,
    usersAffected: issue.userCount ?? null,
    firstSeen: issue.firstSeen ?? null,
    lastSeen: issue.lastSeen ?? null,
    release: event?.release?.version ?? tag(event, 'release') ?? issue.lastRelease?.version ?? null,
    environment: tag(event, 'environment'),
    eventId: event?.eventID ?? candidate.eventId,
    frames: event ? topFrames(event) : [],
    breadcrumbs: event ? nearBreadcrumbs(event) : [],
    replayUrl,
    score: candidate.score,
    reasons: candidate.reasons,
  };
}

/** The replay an event was recorded in, per its context or tag. */
export function replayIdOf(event: SentryEvent | null): string | null {
  return event?.contexts?.replay?.replay_id ?? tag(event, 'replayId') ?? tag(event, 'replay_id');
}

export function tag(event: SentryEvent | null, key: string): string | null {
  return event?.tags?.find((t) => t.key === key)?.value ?? null;
}

/** In-app frames of the outermost exception, crashing frame first; all frames if none is in-app. */
export function topFrames(event: SentryEvent): string[] {
  const exception = event.entries?.find((e) => e.type === 'exception');
  const values = exception ? (exception.data as { values?: unknown[] }).values : undefined;
  const last = values?.[values.length - 1] as
    { stacktrace?: { frames?: SentryFrame[] | null } | null } | undefined;
  const frames = [...(last?.stacktrace?.frames ?? [])].reverse();
  const inApp = frames.filter((f) => f.inApp);
  return (inApp.length ? inApp : frames).slice(0, MAX_FRAMES).map(formatFrame);
}

function formatFrame(frame: SentryFrame): string {
  const file = frame.filename ?? frame.absPath ?? frame.module ?? '?';
  const line = frame.lineNo ? `:${frame.lineNo}` : '';
  return `${file}${line} ${frame.function ?? '(anonymous)'}`;
}

/** Breadcrumbs from the minute before the event, newest eight, oldest first. */
export function nearBreadcrumbs(event: SentryEvent): SentryAttachment['breadcrumbs'] {
  const entry = event.entries?.find((e) => e.type === 'breadcrumbs');
  const crumbs = ((entry?.data as { values?: SentryBreadcrumb[] } | undefined)?.values ?? [])
    .map((b) => ({ b, at: timeOf(b.timestamp) }))
    .filter((c): c is { b: SentryBreadcrumb; at: number } => c.at !== null);
  const eventAt = event.dateCreated ? Date.parse(event.dateCreated) : null;
  const near = eventAt
    ? crumbs.filter((c) => c.at <= eventAt + 1000 && c.at >= eventAt - BREADCRUMB_WINDOW_MS)
    : crumbs;
  return near.slice(-MAX_BREADCRUMBS).map(({ b, at }) => ({
    at: new Date(at).toISOString(),
    category: b.category ?? b.type ?? 'default',
    message: describeBreadcrumb(b),
  }));
}

function describeBreadcrumb(b: SentryBreadcrumb): string {
  const data = b.data ?? {};
  if (
    typeof data.url === 'string' &&
    (b.type === 'http' || b.category === 'xhr' || b.category === 'fetch')
  ) {
    const method = typeof data.method === 'string' ? `${data.method} ` : '';
    const code = data.status_code;
    const status = typeof code === 'number' || typeof code === 'string' ? ` → ${code}` : '';
    return `${method}${stripQuery(data.url)}${status}`;
  }
  if (b.category === 'navigation' && typeof data.to === 'string') {
    return `to ${stripQuery(data.to)}`;
  }
  return (b.message ?? '').slice(0, 200);
}

function timeOf(value: string | number | null | undefined): number | null {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}
