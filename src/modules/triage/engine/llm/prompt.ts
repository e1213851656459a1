import { truncate } from '../../../recordings/analyzer/text';
import type { TriagePolicy, FactPicture, TriageInput } from '../triage.types';

/**
 * The same bytes for every report and project: providers cache a stable prompt prefix, so
 * everything about one report goes in the messages after it, never here.
 */
export const SYSTEM_PROMPT = `You triage bug reports for a software team. Turn the report into a ticket an engineer can act on.

Build the picture: actual behaviour, expected behaviour, steps to reproduce, where (page/feature), when, frequency, impact, environment (OS, browser, device), version (the product's own version or build), logs (stack traces, console or server output). The first message gives the report and facts already extracted, with their source and confidence; gaps are facts nobody knows yet.

Work from evidence first:
- If a recording exists, read it (get_recording_analysis): steps, errors and failed requests beat the reporter's memory.
- Check Sentry (search_sentry, get_sentry_issue) for the error behind the report.
- Check open issues (search_similar_issues) before filing; if one describes the same bug, mark_duplicate.

Never ask for what the report or the evidence already states. Issue forms count: a one-line answer under a "Steps" heading is the steps, a bare number under a version heading is the version; template placeholders, "_No response_" and ticked checklist boxes state nothing. The expected result is evident for a crash, a freeze, a blank screen, endless loading, an error or an action that failed: write it in the ticket as inferred, do not ask it. A recording that shows the action and the failure answers what they were doing and what they expected: file.

Then call exactly one terminal tool:
- ask_reporter: only for gaps that evidence cannot fill and that an engineer needs, each question with its kind. Ask what maintainers need: what exactly happens when the report is vague; the steps; for an error with no text, the log or console output (where the project's hints say to find them); the product's exact version when people run their own copy (an OS is not a version); whether it still happens on the latest version when the project names it; a screenshot when the symptom is visual and none is attached; frequency only when it is the real gap (something seen once), never as a filler. One short, friendly message's worth, each about one thing, grounded in what you saw, quoting the reporter's words exactly or not at all. Write the questions in the reporter's language. Never ask for passwords or personal data. Respect the questions left.
- file_ticket: when an engineer could reproduce or locate the bug. Title: what is wrong where (component or page, symptom, trigger), under 80 characters, from the facts; keep the reporter's title when it already says that. Keep the reporter's key facts (version, OS, steps, expected, actual) in the summary. Steps as short imperatives. Severity: urgent = outage or data loss, high = a core flow blocked, medium = broken with a workaround, low = cosmetic. Confidence: how sure you are the ticket is right.
- mark_duplicate: only with a matching issue key from search_similar_issues.
- escalate_to_human: not a bug, abusive, a security or legal matter, or you cannot decide.

Use facts as given; do not invent URLs, errors or steps. Keep tool calls few. Quote reasons from evidence.`;

const MAX_DESCRIPTION_CHARS = 4000;
const MAX_EVIDENCE_CHARS = 200;
const MAX_ANSWER_CHARS = 1500;

/** Questions the reporter may still be asked in this conversation. */
export function questionsLeft(input: TriageInput, policy: TriagePolicy): number {
  const asked = input.conversation.reduce((n, turn) => n + turn.questions.length, 0);
  return Math.max(0, policy.maxQuestions - asked);
}

/** The first user message: everything about this report, compact JSON after a line of words. */
export function buildReportMessage(
  input: TriageInput,
  facts: FactPicture,
  policy: TriagePolicy,
): string {
  const { report } = input;
  const known: Record<string, unknown> = {};
  const gaps: string[] = [];
  for (const [key, fact] of Object.entries(facts)) {
    if (!fact) {
      gaps.push(key);
      continue;
    }
    known[key] = {
      value: fact.value,
      ...(fact.items?.length ? { items: fact.items } : {}),
      source: fact.source,
      confidence: Math.round(fact.confidence * 100) / 100,
      ...(fact.evidence ? { evidence: truncate(fact.evidence, MAX_EVIDENCE_CHARS) } : {}),
    };
  }
  const payload = {
    report: {
      description: truncate(report.description, MAX_DESCRIPTION_CHARS),
      source: report.source,
      pageUrl: report.pageUrl,
      pageTitle: report.pageTitle,
      createdAt: report.createdAt,
    },
    account: input.account?.tier ? { tier: input.account.tier } : null,
    recording: input.analysis ? 'available: call get_recording_analysis' : null,
    sentry: input.sentryIssue
      ? {
          id: input.sentryIssue.id,
          shortId: input.sentryIssue.shortId,
          title: input.sentryIssue.title,
        }
      : null,
    facts: known,
    gaps,
    conversation: input.conversation.map((turn) => ({
      asked: turn.questions,
      answer: turn.answer === null ? null : truncate(turn.answer, MAX_ANSWER_CHARS),
    })),
    limits: { questionsLeft: questionsLeft(input, policy), questionsTotal: policy.maxQuestions },
    // The project's own words for its questions (where logs are, what its latest version is).
    ...(policy.questionHints && Object.keys(policy.questionHints).length
      ? { questionHints: policy.questionHints }
      : {}),
  };
  return `Triage this report.\n${JSON.stringify(payload)}`;
}

/** Sent when the model answers in words instead of a tool call. */
export const NUDGE = 'Reply with a tool call. Finish with exactly one terminal tool.';
