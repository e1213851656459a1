import { codeSpan, inertInline } from '../../../common/inert-text';
import type { Environment, RecordingAnalysis } from './types';

/** 83_456 → "01:23.4": minutes and seconds from the start of the recording. */
export function clock(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const minutes = Math.floor(total / 60);
  const seconds = (total - minutes * 60).toFixed(1).padStart(4, '0');
  return `${String(minutes).padStart(2, '0')}:${seconds}`;
}

export function environmentLine(env: Environment): string | null {
  const browser = env.browser
    ? `${env.browser}${env.browserVersion ? ` ${env.browserVersion.split('.')[0]}` : ''}`
    : null;
  const os = env.os ? `${env.os}${env.osVersion ? ` ${env.osVersion}` : ''}` : null;
  const parts = [
    [browser, os && `on ${os}`].filter(Boolean).join(' ') || null,
    env.device && env.device !== 'desktop' ? env.device : null,
    env.viewport ? `viewport ${env.viewport.width}×${env.viewport.height}` : null,
    env.locale ? `locale ${env.locale}` : null,
    env.timezone ? `time zone ${env.timezone}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(', ') : null;
}

export interface MarkdownSections {
  steps: string | null;
  errors: string | null;
  failedRequests: string | null;
  signals: string | null;
  failure: string | null;
  environment: string | null;
  uninterpreted: string | null;
}

/**
 * Each part of an analysis as Markdown, null when there is nothing to say. Everything in it came
 * from the customer's page (labels, typed text, URLs, console messages), so all of it is inert
 * (see common/inert-text.ts): the same text goes into tickets.
 */
export function analysisSections(analysis: RecordingAnalysis, maxErrors = 10): MarkdownSections {
  const steps = analysis.steps.map((s) => `${s.n}. ${inertInline(s.text)} _(${clock(s.t)})_`);
  const errors = analysis.errors.slice(0, maxErrors).map((e) => {
    const label = e.uncaught ? 'uncaught' : e.level;
    const frames = e.stack.slice(0, 3).map((f) => `\n  - ${codeSpan(f)}`);
    return `- ${clock(e.t)} ${label}: **${inertInline(e.message)}**${frames.join('')}`;
  });
  if (analysis.errors.length > maxErrors)
    errors.push(`- …and ${analysis.errors.length - maxErrors} more`);
  const requests = analysis.failedRequests.map(
    (r) =>
      `- ${clock(r.t)} ${codeSpan(`${r.method} ${r.url}`)} → ${r.status || `no response${r.error ? ` (${inertInline(r.error)})` : ''}`} in ${r.durationMs} ms`,
  );
  const signals = analysis.signals.map(
    (s) => `- ${clock(s.t)} ${s.kind.replace('_', ' ')}: ${inertInline(s.text)}`,
  );
  const failure = analysis.failure
    ? `At ${clock(analysis.failure.t)}${analysis.failure.url ? ` on ${inertInline(analysis.failure.url)}` : ''}: ${inertInline(analysis.failure.text)}`
    : null;
  const uninterpreted = analysis.uninterpreted.map((u) => `- ${u.count} × ${inertInline(u.what)}`);
  const environment = environmentLine(analysis.environment);
  const join = (lines: string[]) => (lines.length ? lines.join('\n') : null);
  return {
    steps: join(steps),
    errors: join(errors),
    failedRequests: join(requests),
    signals: join(signals),
    failure,
    environment: environment && inertInline(environment),
    uninterpreted: join(uninterpreted),
  };
}

/** The whole analysis as a Markdown document (`repro analyze`). */
export function analysisMarkdown(analysis: RecordingAnalysis): string {
  const s = analysisSections(analysis, Infinity);
  const parts: [string, string | null][] = [
    ['Steps to reproduce', s.steps],
    // Nothing failed is worth saying: a reader must not guess a resize or a reload was it.
    ['Moment of failure', s.failure ?? 'None: no error, failed request or sign of trouble.'],
    ['Errors', s.errors],
    ['Failed requests', s.failedRequests],
    ['Signals', s.signals],
    ['Environment', s.environment],
    ['Could not interpret', s.uninterpreted],
  ];
  const body = parts
    .filter((p): p is [string, string] => p[1] !== null)
    .map(([title, text]) => `## ${title}\n\n${text}`)
    .join('\n\n');
  const stats = `_${analysis.stats.events} events, ${(analysis.stats.bytes / 1e6).toFixed(1)} MB, ${clock(analysis.stats.ms)} long._`;
  return `${body || '_Nothing recognisable in this recording._'}\n\n${stats}\n`;
}
