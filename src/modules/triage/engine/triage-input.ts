import type { RecordingAnalysis } from '../../recordings/analyzer/types';
import type { SentryAttachment } from '../../sentry/sentry-attachment';
import type {
  TriagePolicy,
  ConversationTurn,
  FactKey,
  TriageInput,
  TriageToolHost,
} from './triage.types';
import { keptEmails } from '../../projects/policy';
import {
  addCounts,
  type RedactOptions,
  type Redacted,
  type RedactionCounts,
  redactDeep,
} from '../../../privacy/redaction';

/** A report as stored (or as a dry run reads it from a file), before redaction. */
/**
 * For a run with no Sentry and no tracker to look in (`repro triage --dry-run`, `repro eval
 * triage`): the LLM's lookups find nothing.
 */
export const NOTHING_TO_LOOK_UP: TriageToolHost = {
  searchSentry: () => Promise.resolve([]),
  getSentryIssue: () => Promise.resolve(null),
  searchSimilarIssues: () => Promise.resolve([]),
};

export type RawReport = Omit<TriageInput['report'], 'createdAt'> & {
  createdAt: Date;
  reporter: { name: string | null; email: string | null } | null;
  account: { name: string | null; tier: string | null } | null;
};

/**
 * What the engines read, with every free text redacted first (the reporter's own email kept
 * only when the policy allows). Pure: the pipeline and `repro triage --dry-run` share it.
 */
export function triageInput(
  report: RawReport,
  evidence: {
    analysis: RecordingAnalysis | null;
    sentryIssue: SentryAttachment | null;
    conversation: ConversationTurn[];
  },
  policy: TriagePolicy,
): { input: TriageInput; redactions: RedactionCounts } {
  const keepEmails = keptEmails(policy, report.reporter?.email);
  let redactions: RedactionCounts = {};
  const count = <T>(redacted: Redacted<T>): T => {
    redactions = addCounts(redactions, redacted.counts);
    return redacted.value;
  };
  const text = <T>(value: T): T => count(redactDeep(value, { keepEmails }));
  const input: TriageInput = {
    report: {
      id: report.id,
      description: text(report.description),
      source: report.source,
      pageUrl: report.pageUrl ? text(report.pageUrl) : null,
      pageTitle: report.pageTitle ? text(report.pageTitle) : null,
      userAgent: report.userAgent,
      locale: report.locale,
      timezone: report.timezone,
      viewport: report.viewport,
      createdAt: report.createdAt.toISOString(),
    },
    reporter: report.reporter ? { name: report.reporter.name, email: keepEmails[0] ?? null } : null,
    account: report.account,
    analysis: evidence.analysis ? count(redactAnalysis(evidence.analysis, { keepEmails })) : null,
    sentryIssue: evidence.sentryIssue ? text(evidence.sentryIssue) : null,
    conversation: text(evidence.conversation),
  };
  return { input, redactions };
}

/**
 * A recording's analysis with its text redacted. The environment is left as it is: it is parsed
 * from the user agent, not free text, and its versions (Chrome 126.0.0.0) would read as IPs.
 */
export function redactAnalysis(
  analysis: RecordingAnalysis,
  options: RedactOptions,
): Redacted<RecordingAnalysis> {
  const redacted = redactDeep({ ...analysis, environment: null }, options);
  return {
    value: { ...redacted.value, environment: analysis.environment },
    counts: redacted.counts,
  };
}

/** A stored message of the conversation, as the engines read it. */
export interface ConversationMessage {
  author: 'agent' | 'reporter';
  body: string;
  questions: { key: string; text: string }[];
  createdAt: Date;
}

/**
 * The conversation as the agent reads it: each agent message with the reporter's replies that
 * followed it. Replies sent before any question form a turn with no questions.
 */
export function conversationTurns(messages: ConversationMessage[]): ConversationTurn[] {
  const turns: ConversationTurn[] = [];
  for (const message of messages) {
    if (message.author === 'agent') {
      turns.push({
        questions: message.questions.map((q) => q.text),
        keys: message.questions.map((q) => q.key as FactKey),
        answer: null,
        askedAt: message.createdAt.toISOString(),
        answeredAt: null,
      });
      continue;
    }
    let turn = turns[turns.length - 1];
    if (!turn) {
      turn = {
        questions: [],
        keys: [],
        answer: null,
        askedAt: message.createdAt.toISOString(),
        answeredAt: null,
      };
      turns.push(turn);
    }
    turn.answer = turn.answer ? `${turn.answer}\n\n${message.body}` : message.body;
    turn.answeredAt ??= message.createdAt.toISOString();
  }
  return turns;
}
