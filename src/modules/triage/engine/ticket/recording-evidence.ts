import { clock, environmentLine } from '../../../recordings/analyzer/markdown';
import type { RecordingAnalysis } from '../../../recordings/analyzer/types';
import { codeSpan, inertInline } from './inert-text';

export interface RecordingEvidence {
  steps: string | null;
  errors: string | null;
  failedRequests: string | null;
  signals: string | null;
  failure: string | null;
  environment: string | null;
}

/**
 * What the recording showed, as the ticket's Markdown. Everything in it came from the customer's
 * page (labels, typed text, URLs, console messages), so all of it is inert (see inert-text.ts).
 */
export function recordingEvidence(analysis: RecordingAnalysis, maxErrors = 10): RecordingEvidence {
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
  const environment = environmentLine(analysis.environment);
  const join = (lines: string[]) => (lines.length ? lines.join('\n') : null);
  return {
    steps: join(steps),
    errors: join(errors),
    failedRequests: join(requests),
    signals: join(signals),
    failure,
    environment: environment && inertInline(environment),
  };
}
