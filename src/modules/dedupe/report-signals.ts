import { createHash } from 'node:crypto';
import { normalizeErrorText, parseStackLine } from '../../common/signals/error-text';
import { requestKey, templatePath } from '../../common/signals/route-template';
import { truncate } from '../recordings/analyzer/text';
import type { RecordingAnalysis } from '../recordings/analyzer/types';
import type { SignalKind } from './entities/report-signal.entity';

/** An exact-match key from a report's evidence, with words for the reasons an engineer reads. */
export interface EvidenceSignal {
  kind: SignalKind;
  value: string;
  label: string;
}

/** A report's structured signals. Pure: the same evidence always gives the same keys. */
export function reportSignals(input: {
  analysis: RecordingAnalysis | null;
  pageUrl: string | null;
  sentryIssue: { id: string; shortId: string } | null;
}): EvidenceSignal[] {
  const { analysis, pageUrl, sentryIssue } = input;
  const signals: EvidenceSignal[] = [];
  if (sentryIssue) {
    signals.push({ kind: 'sentry_issue', value: sentryIssue.id, label: sentryIssue.shortId });
  }
  for (const error of analysis?.errors ?? []) {
    if (error.level !== 'error') continue;
    const fingerprint = errorFingerprint(error.message, error.stack);
    if (fingerprint) signals.push(fingerprint);
  }
  const route = templatePath(analysis?.failure?.url ?? pageUrl);
  if (route && route !== '/') signals.push({ kind: 'route', value: route, label: route });
  for (const request of analysis?.failedRequests ?? []) {
    const key = requestKey(request.method, request.url, request.status);
    signals.push({ kind: 'failing_request', value: key, label: key });
  }
  const click = lastClick(analysis);
  if (click) signals.push(click);
  return dedupe(signals);
}

/**
 * The same error: its normalised message plus where it was thrown (the top frame's file and
 * function, without line numbers or bundle hashes, which change with every release).
 */
export function errorFingerprint(message: string, stack: string[]): EvidenceSignal | null {
  const normalized = normalizeErrorText(message);
  if (!normalized) return null;
  const frame = stack.map(parseStackLine).find((f) => f !== null);
  const where = frame ? `${stableFile(frame.file)}:${frame.function ?? '?'}` : '';
  const value = createHash('sha256').update(`${normalized}|${where}`).digest('hex').slice(0, 32);
  return { kind: 'error_fingerprint', value, label: truncate(message.split('\n', 1)[0], 120) };
}

/** `main.3f2a1b9c.js` and `main.77aa01de.js` are the same file. */
function stableFile(file: string): string {
  const name = file.split('/').pop() ?? file;
  return name.replace(/[.-](?=[0-9a-f]*\d)[0-9a-f]{6,}(?=\.)/gi, '');
}

/** The last click before the failure, on its route: "button "Save" on /settings/billing". */
function lastClick(analysis: RecordingAnalysis | null): EvidenceSignal | null {
  if (!analysis) return null;
  const until = analysis.failure?.t ?? Number.POSITIVE_INFINITY;
  const clicks = analysis.timeline.filter((e) => e.kind === 'click' && e.target && e.t <= until);
  const click = clicks[clicks.length - 1];
  if (!click?.target) return null;
  const route = templatePath(click.url ?? analysis.failure?.url ?? analysis.startUrl) ?? '/';
  const what = click.target.name
    ? `${click.target.role} "${click.target.name}"`
    : `${click.target.role} ${click.target.selector}`;
  return { kind: 'clicked_element', value: `${route} ${what}`, label: `${what} on ${route}` };
}

/** One string per (kind, value), for lookups; the separator (unit separator) appears in neither. */
export function signalKey(s: { kind: SignalKind; value: string }): string {
  return `${s.kind}\u001f${s.value}`;
}

/** The kind and value back from a `signalKey` (as SQL builds it with `chr(31)` too). */
export function parseSignalKey(key: string): { kind: SignalKind; value: string } {
  const cut = key.indexOf('\u001f');
  return { kind: key.slice(0, cut) as SignalKind, value: key.slice(cut + 1) };
}

function dedupe(signals: EvidenceSignal[]): EvidenceSignal[] {
  const seen = new Set<string>();
  return signals.filter((s) => {
    const key = signalKey(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
