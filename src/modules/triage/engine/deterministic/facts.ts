/**
 * The fact picture: for each fact key, the strongest evidence we hold, with its source.
 *
 * Source choice for report metadata: the widget captures `userAgent` and `pageUrl` from the
 * browser itself, so they are machine-recorded like the recording and count as source
 * 'recording' (confidence 0.9 / 0.85), not as the reporter's words. The arrival time only says
 * when the report was sent, not when the bug happened, so it is 'inferred' with low confidence.
 */
import { FACT_KEYS, FACT_SOURCES } from '../triage.types';
import type { ConversationTurn, Fact, FactKey, FactPicture, TriageInput } from '../triage.types';
import { describeEnvironment } from '../../../recordings/analyzer/environment';
import { clock, environmentLine } from '../../../recordings/analyzer/markdown';
import type { RecordingAnalysis } from '../../../recordings/analyzer/types';
import type { SentryAttachment } from '../../../sentry/sentry-attachment';
import {
  extractActual,
  extractEnvironment,
  evidentExpectation,
  extractExpected,
  extractFrequency,
  extractImpact,
  extractLogs,
  extractVersion,
  extractSteps,
  extractWhen,
  extractWhere,
  impliedExpectation,
  isVague,
  listItems,
  meaningful,
  parseReporterText,
  type ParsedText,
} from './reporter-text';

/** Below this confidence a fact counts as a gap worth asking about. */
export const KNOWN_CONFIDENCE = 0.4;

/** True when the picture holds the key with enough confidence not to ask about it. */
export function isKnown(facts: FactPicture, key: FactKey): boolean {
  const fact = facts[key];
  return !!fact && fact.confidence >= KNOWN_CONFIDENCE;
}

type Add = (key: FactKey, fact: Fact) => void;

/** Builds the fact picture from every kind of evidence in the input. Pure. */
export function buildFacts(input: TriageInput): FactPicture {
  const candidates = new Map<FactKey, Fact[]>(FACT_KEYS.map((k) => [k, []]));
  const add: Add = (key, fact) => {
    if (fact.value.trim().length >= 2)
      candidates.get(key)?.push({ ...fact, value: oneLine(fact.value) });
  };
  if (input.analysis) fromRecording(input.analysis, input.report.timezone, add);
  fromMetadata(input, add);
  if (input.sentryIssue) fromSentry(input.sentryIssue, add);
  fromAccount(input, add);
  const parsed = parseReporterText(input.report.description);
  fromReporterText(parsed, add, 1, input.report.description);
  fromAnswers(input.conversation, add);
  inferred(input, parsed, candidates, add);
  const picture = {} as FactPicture;
  for (const key of FACT_KEYS) picture[key] = strongest(candidates.get(key) ?? []);
  return picture;
}

function strongest(facts: Fact[]): Fact | null {
  const rank = (f: Fact) => FACT_SOURCES.indexOf(f.source);
  return [...facts].sort((a, b) => b.confidence - a.confidence || rank(a) - rank(b))[0] ?? null;
}

function oneLine(text: string, max = 240): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function pathOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).pathname;
  } catch {
    return url.startsWith('/') ? url.replace(/[?#].*$/, '') : null;
  }
}

/** "14:02" in the reporter's time zone when we know it, else "14:02 UTC". */
export function wallClock(epochMs: number, timezone: string | null): string {
  const date = new Date(epochMs);
  if (timezone) {
    try {
      return date.toLocaleTimeString('en-GB', {
        timeZone: timezone,
        hour: '2-digit',
        minute: '2-digit',
      });
    } catch {
      // An unknown zone falls through to UTC.
    }
  }
  return `${date.toISOString().slice(11, 16)} UTC`;
}

function fromRecording(analysis: RecordingAnalysis, timezone: string | null, add: Add): void {
  const failure = analysis.failure && analysis.failure.reason !== 'end' ? analysis.failure : null;
  const at = (t: number) =>
    analysis.startedAt ? wallClock(analysis.startedAt + t, timezone) : clock(t);
  if (failure) {
    const request = analysis.failedRequests.find((r) => r.t === failure.t);
    add('actual', {
      value: failure.text,
      source: 'recording',
      confidence: 0.95,
      evidence: request
        ? `${request.method} ${pathOf(request.url) ?? request.url} ${request.status || 'no response'} at ${at(failure.t)}`
        : `${failure.reason} at ${at(failure.t)}${failure.url ? ` on ${failure.url}` : ''}`,
    });
  }
  const error = analysis.errors.find((e) => e.uncaught) ?? analysis.errors[0];
  if (error) {
    add('actual', {
      value: `Error: ${error.message.split('\n')[0]}`,
      source: 'recording',
      confidence: error.uncaught ? 0.85 : 0.7,
      evidence: `${error.uncaught ? 'uncaught' : error.level} at ${at(error.t)}`,
    });
  }
  const request = analysis.failedRequests[0];
  if (request) {
    add('actual', {
      value: `${request.method} ${pathOf(request.url) ?? request.url} ${request.status ? `returns ${request.status}` : `gets no response${request.error ? ` (${request.error})` : ''}`}`,
      source: 'recording',
      confidence: 0.85,
      evidence: `at ${at(request.t)}`,
    });
  }
  for (const signal of analysis.signals) {
    if (signal.kind === 'rage_click' || signal.kind === 'dead_click') {
      add('actual', {
        value: signal.text,
        source: 'recording',
        confidence: 0.6,
        evidence: `${signal.kind.replace('_', ' ')} at ${at(signal.t)}`,
      });
    }
    if (signal.kind === 'rage_click' || signal.kind === 'reload') {
      add('frequency', {
        value: `Happened repeatedly in the session: ${signal.text}`,
        source: 'recording',
        confidence: 0.5,
        evidence: `${signal.kind.replace('_', ' ')} at ${at(signal.t)}`,
      });
    }
  }
  const steps = failure ? analysis.steps.filter((s) => s.t <= failure.t) : analysis.steps;
  if (steps.length) {
    add('steps', {
      value: `${steps.length} step${steps.length === 1 ? '' : 's'} from the recording`,
      items: steps.map((s) => s.text),
      source: 'recording',
      confidence: steps.length >= 2 ? 0.9 : 0.6,
    });
  }
  const where = failure?.url ?? analysis.startUrl;
  if (where) {
    add('where', {
      value: where,
      source: 'recording',
      confidence: failure?.url ? 0.95 : 0.7,
      evidence: failure?.url ? 'page at the moment of failure' : 'page the recording starts on',
    });
  }
  if (analysis.startedAt) {
    const t = failure?.t ?? 0;
    add('when', {
      value: new Date(analysis.startedAt + t).toISOString(),
      source: 'recording',
      confidence: failure ? 0.95 : 0.7,
      evidence: failure ? `failure at ${clock(t)} into the recording` : 'recording start',
    });
  }
  const env = environmentLine(analysis.environment);
  if (env) {
    add('environment', { value: env, source: 'recording', confidence: 0.95 });
  }
  // The recording captured the console and the network: what a reporter would copy from them
  // is already here, errors or not.
  const errors = analysis.errors.length;
  const failed = analysis.failedRequests.length;
  add('logs', {
    value:
      errors || failed
        ? `${errors} console error${errors === 1 ? '' : 's'} and ${failed} failed request${failed === 1 ? '' : 's'} in the recording`
        : 'The recording captured the console and network: no errors',
    source: 'recording',
    confidence: 0.9,
  });
}

function fromMetadata(input: TriageInput, add: Add): void {
  const { report } = input;
  if (report.userAgent) {
    const env = environmentLine(
      describeEnvironment(
        {
          userAgent: report.userAgent,
          viewport: report.viewport,
          locale: report.locale,
          timezone: report.timezone,
        },
        null,
      ),
    );
    if (env) {
      add('environment', {
        value: env,
        source: 'recording',
        confidence: 0.9,
        evidence: `user agent captured by the ${report.source}`,
      });
    }
  }
  if (report.pageUrl) {
    add('where', {
      value: report.pageTitle ? `${report.pageUrl} (${report.pageTitle})` : report.pageUrl,
      source: 'recording',
      confidence: 0.85,
      evidence: `page the report was sent from (${report.source})`,
    });
  }
  if (report.createdAt) {
    add('when', {
      value: report.createdAt,
      source: 'inferred',
      confidence: 0.3,
      evidence: 'time the report arrived',
    });
  }
}

function fromSentry(issue: SentryAttachment, add: Add): void {
  add('actual', {
    value: issue.culprit ? `${issue.title} in ${issue.culprit}` : issue.title,
    source: 'sentry',
    confidence: 0.8,
    evidence: `Sentry ${issue.shortId}`,
  });
  if (issue.events !== null) {
    add('frequency', {
      value: `${issue.events} events in Sentry${issue.firstSeen ? ` since ${issue.firstSeen}` : ''}`,
      source: 'sentry',
      confidence: 0.8,
      evidence: `Sentry ${issue.shortId}`,
    });
  }
  if (issue.usersAffected !== null && issue.usersAffected > 0) {
    add('impact', {
      value: `${issue.usersAffected} user${issue.usersAffected === 1 ? '' : 's'} affected`,
      source: 'sentry',
      confidence: 0.8,
      evidence: `Sentry ${issue.shortId}`,
    });
  }
  if (issue.firstSeen) {
    add('when', {
      value: `First seen ${issue.firstSeen}${issue.release ? ` (release ${issue.release})` : ''}`,
      source: 'sentry',
      confidence: 0.5,
      evidence: `Sentry ${issue.shortId}`,
    });
  }
  const env = [issue.release && `release ${issue.release}`, issue.environment]
    .filter(Boolean)
    .join(', ');
  if (env) add('environment', { value: env, source: 'sentry', confidence: 0.5 });
  if (issue.release) {
    add('version', {
      value: `release ${issue.release}`,
      source: 'sentry',
      confidence: 0.8,
      evidence: `Sentry ${issue.shortId}`,
    });
  }
  add('logs', {
    value: `Stack trace and breadcrumbs in Sentry ${issue.shortId}`,
    source: 'sentry',
    confidence: 0.85,
    evidence: `Sentry ${issue.shortId}`,
  });
  if (issue.culprit?.startsWith('/')) {
    add('where', { value: issue.culprit, source: 'sentry', confidence: 0.5 });
  }
}

function fromAccount(input: TriageInput, add: Add): void {
  const account = input.account;
  if (!account?.name && !account?.tier) return;
  add('impact', {
    value: `Reported from ${account.name ?? 'an account'}${account.tier ? ` (${account.tier} tier)` : ''}`,
    source: 'account',
    confidence: 0.4,
  });
}

/** Everything the reporter's free text says; `weight` scales confidence (answers vs report). */
function fromReporterText(parsed: ParsedText, add: Add, weight: number, raw: string): void {
  const reporter = (key: FactKey, value: string, confidence: number, items?: string[]) =>
    add(key, { value, items, source: 'reporter', confidence: confidence * weight });
  const actual = extractActual(parsed);
  if (actual) reporter('actual', actual.value, actual.confidence);
  const steps = extractSteps(parsed);
  if (steps) reporter('steps', steps.items.join(' → '), steps.confidence, steps.items);
  const expected = extractExpected(parsed);
  if (expected) reporter('expected', expected.value, expected.confidence);
  const env = extractEnvironment(parsed);
  if (env) reporter('environment', env.value, env.confidence);
  const where = extractWhere(parsed);
  if (where) reporter('where', where.value, where.confidence);
  const frequency = extractFrequency(parsed);
  if (frequency) reporter('frequency', frequency, 0.7);
  const when = extractWhen(parsed);
  if (when) reporter('when', when, 0.6);
  const impact = extractImpact(parsed);
  if (impact) reporter('impact', impact.value, impact.confidence);
  const version = extractVersion(parsed);
  if (version) reporter('version', version.value, version.confidence);
  const logs = extractLogs(parsed, raw);
  if (logs) reporter('logs', logs.value, logs.confidence);
}

/** How often each key was asked, and how many of those answers were too vague to use. */
export interface AskRecord {
  asked: number;
  vague: number;
}

export function askHistory(conversation: ConversationTurn[]): Map<FactKey, AskRecord> {
  const history = new Map<FactKey, AskRecord>();
  for (const turn of conversation) {
    const parts = answerParts(turn);
    (turn.keys ?? []).forEach((key, i) => {
      if (!key) return;
      const record = history.get(key) ?? { asked: 0, vague: 0 };
      record.asked += 1;
      // Silence is not a vague answer: nobody is asked the same thing twice without replying.
      if (turn.answer !== null && isVague(parts[i] ?? null)) record.vague += 1;
      history.set(key, record);
    });
  }
  return history;
}

/**
 * The answer's part for each question: numbered parts when their count matches the questions,
 * else the whole answer for each.
 */
function answerParts(turn: ConversationTurn): (string | null)[] {
  const n = turn.questions.length;
  if (!turn.answer) return Array.from({ length: n }, () => null);
  if (n > 1) {
    const numbered = turn.answer
      .split(/(?:^|\n)\s*\d+[.)]\s+/)
      .map((p) => p.trim())
      .filter(Boolean);
    if (numbered.length === n) return numbered;
  }
  return Array.from({ length: n }, () => turn.answer);
}

function fromAnswers(conversation: ConversationTurn[], add: Add): void {
  for (const turn of conversation) {
    if (!turn.answer || isVague(turn.answer)) continue;
    const parsedWhole = parseReporterText(turn.answer);
    // What an answer mentions in passing (a browser, "every time") counts a little less.
    fromReporterText(
      parsedWhole,
      (key, fact) => key !== 'actual' && add(key, fact),
      0.9,
      turn.answer,
    );
    const keys = turn.keys ?? [];
    const parts = answerParts(turn);
    const whole = parts.every((p) => p === turn.answer);
    keys.forEach((key, i) => {
      const text = parts[i];
      if (!key || !text || isVague(text)) return;
      // One answer to several questions: take a key only from what matches it.
      if (whole && keys.filter(Boolean).length > 1) {
        if (key === 'actual' || key === 'expected' || key === 'steps') {
          const got =
            key === 'steps'
              ? extractSteps(parsedWhole)
              : key === 'expected'
                ? extractExpected(parsedWhole)
                : extractActual(parsedWhole);
          if (!got || (key === 'actual' && got.confidence < 0.5)) return;
          // What matched, not the whole answer: "Actual: …" is the actual, not the steps too.
          const value = 'items' in got ? got.items.join(' → ') : got.value;
          add(key, {
            value,
            items: 'items' in got ? got.items : undefined,
            source: 'reporter',
            confidence: 0.75,
            evidence: `reporter's answer${turn.answeredAt ? ` at ${turn.answeredAt}` : ''}`,
          });
          return;
        } else return;
      }
      const items = key === 'steps' ? (listItems(text, 1) ?? splitSentences(text)) : undefined;
      add(key, {
        value: key === 'steps' && items ? items.join(' → ') : text,
        items,
        source: 'reporter',
        confidence: 0.75,
        evidence: `reporter's answer${turn.answeredAt ? ` at ${turn.answeredAt}` : ''}`,
      });
    });
  }
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\r?\n|,?\s+then\s+/i)
    .map((s) => s.trim())
    .filter((s) => meaningful(s));
}

function inferred(
  input: TriageInput,
  parsed: ParsedText,
  candidates: Map<FactKey, Fact[]>,
  add: Add,
): void {
  const analysis = input.analysis;
  const failure = analysis?.failure && analysis.failure.reason !== 'end' ? analysis.failure : null;
  if (analysis && failure) {
    // What they were doing is the last thing they clicked before it failed; what they expected
    // is that it worked. A failed request or an uncaught error is never the intended result.
    const click = [...analysis.steps]
      .reverse()
      .find((s) => s.t <= failure.t && s.target?.name && /^Clicked /.test(s.text));
    const request = analysis.failedRequests.find((r) => r.t === failure.t);
    const error = analysis.errors.find((e) => e.t === failure.t);
    const what = request
      ? `${request.method} ${pathOf(request.url) ?? request.url} ${request.status ? `answered ${request.status}` : 'got no response'}`
      : error
        ? `"${error.message.split('\n')[0].slice(0, 80)}"`
        : failure.text;
    add('expected', {
      value: click?.target?.name
        ? `Clicking "${click.target.name}" completes without an error`
        : request
          ? `${request.method} ${pathOf(request.url) ?? request.url} succeeds`
          : 'The page works without the error',
      source: 'inferred',
      confidence: 0.6,
      evidence: `the recording shows the action failing: ${what}`,
    });
  } else if (input.sentryIssue) {
    add('expected', {
      value: 'It works without the error Sentry recorded',
      source: 'inferred',
      confidence: 0.5,
      evidence: `an error is never the intended behaviour (Sentry ${input.sentryIssue.shortId})`,
    });
  }
  // "Can't switch branches" says what the reporter expected: to switch branches.
  const reporterActual = (candidates.get('actual') ?? []).filter((f) => f.source === 'reporter');
  const statement = [parsed.preamble, ...reporterActual.map((f) => f.value)]
    .filter((s) => s && meaningful(s))
    .join('\n');
  // The whole "what happened" section counts: its first sentence is often a greeting.
  const section = parsed.sections.find((s) => s.key === 'actual')?.text ?? '';
  const evident = evidentExpectation(`${statement}\n${section}`);
  if (evident) {
    add('expected', {
      value: evident.value,
      source: 'inferred',
      confidence: 0.5,
      evidence: evident.evidence,
    });
    return;
  }
  const implied = impliedExpectation(statement);
  if (implied) {
    add('expected', {
      value: implied,
      source: 'inferred',
      confidence: 0.45,
      evidence: 'the opposite of what the reporter says goes wrong',
    });
  }
}
