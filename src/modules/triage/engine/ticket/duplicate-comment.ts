import { redactText } from '../../../../privacy/redaction';
import { clock } from '../../../recordings/analyzer/markdown';
import type { Recording } from '../../../recordings/entities/recording.entity';
import type { Report } from '../../../reports/entities/report.entity';
import { inertInline, inertQuote } from '../../../../common/inert-text';

export interface DuplicateCommentInput {
  /** With its reporter and account. */
  report: Report;
  recording: Recording | null;
  replayUrl: string | null;
  /** Emails redaction keeps (the reporter's own, when the project's policy allows). */
  keepEmails: string[];
}

/**
 * The comment an existing ticket gets when another customer reports its bug: who, their words,
 * a replay and the steps it recorded. It reaches the tracker, so the words and steps are redacted,
 * and everything the customer wrote is inert Markdown (see inert-text.ts).
 */
export function composeDuplicateComment(input: DuplicateCommentInput): string {
  const { report, recording, replayUrl, keepEmails } = input;
  const clean = (text: string) => redactText(text, { keepEmails }).value;
  const analysis = recording?.status !== 'refused' ? recording?.analysis : null;
  const who = report.account
    ? `**${inertInline(report.account.name ?? report.account.externalId)}**${report.account.tier ? ` (${inertInline(report.account.tier)})` : ''}`
    : 'another customer';
  const lines = [
    `Another report of this bug, from ${who}${report.reporter?.name ? `, by ${inertInline(report.reporter.name)}` : ''}:`,
    '',
    inertQuote(clean(report.description)),
  ];
  if (analysis && replayUrl) {
    lines.push(
      '',
      `Replay${analysis.failure ? ` at the moment of failure (${clock(analysis.failure.t)})` : ''}: ${replayUrl}`,
    );
    if (analysis.steps.length) {
      lines.push(
        '',
        'Steps this time:',
        ...analysis.steps.map((s) => `${s.n}. ${inertInline(clean(s.text))}`),
      );
    }
  }
  return lines.join('\n');
}
