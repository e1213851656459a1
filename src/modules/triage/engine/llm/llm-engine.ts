import type {
  TriageDecision,
  TriagePolicy,
  TriageToolHost,
  EngineResult,
  FactKey,
  FactPicture,
  Question,
  QuestionKind,
  TicketProposal,
  TokenUsage,
  ToolName,
  TraceStep,
  TriageInput,
} from '../triage.types';
import { KIND_FILLS } from '../triage.types';
import { runDeterministic } from '../deterministic/deterministic-engine';
import { buildFacts, isKnown } from '../deterministic/facts';
import { hasMedia, statesLatest } from '../deterministic/reporter-text';
import {
  OpenAiError,
  type ChatMessage,
  type ChatReply,
  type ChatToolCall,
  type OpenAiClient,
} from '../../../../integrations/openai/openai.client';
import { redactDeep, redactText } from '../../../../privacy/redaction';
import { truncate } from '../../../recordings/analyzer/text';
import { NUDGE, SYSTEM_PROMPT, buildReportMessage, questionsLeft } from './prompt';
import { isTerminal, parseToolCall, toolsFor, type ToolArgs } from './tools';

export interface LlmEngineOptions {
  model: string;
  /** Model calls per run before giving up (default 8). */
  maxSteps?: number;
  /** Prompt + completion tokens per run before giving up (default 25,000). */
  tokenBudget?: number;
}

/** The engine's bounds and model from Repro's configuration. */
export function llmEngineOptions(config: {
  OPENAI_MODEL: string;
  AGENT_MAX_STEPS: number;
  AGENT_TOKEN_BUDGET: number;
}): LlmEngineOptions {
  return {
    model: config.OPENAI_MODEL,
    maxSteps: config.AGENT_MAX_STEPS,
    tokenBudget: config.AGENT_TOKEN_BUDGET,
  };
}

/** A tool result longer than this is cut before it goes back to the model. */
const MAX_RESULT_CHARS = 6000;
const MAX_LIST = 8;
const TEXT_ANSWERS_BEFORE_FALLBACK = 2;
const INVALID_CALLS_BEFORE_FALLBACK = 3;

type Outcome = { decision: TriageDecision } | { result: unknown; invalid: boolean };

/**
 * The tool-calling triage agent. It reads the report, the recording and Sentry, looks for
 * duplicates, and ends with one terminal tool (ask, file, duplicate, escalate). Bounded in model
 * calls and tokens; any failure of the model or the API hands over to the deterministic engine,
 * with the reason in `fallbackReason`, so a report is always decided.
 */
export class LlmEngine {
  private readonly maxSteps: number;
  private readonly tokenBudget: number;

  constructor(
    private readonly client: OpenAiClient,
    private readonly options: LlmEngineOptions,
  ) {
    this.maxSteps = options.maxSteps ?? 8;
    this.tokenBudget = options.tokenBudget ?? 25_000;
    if (!options.model) throw new Error('LlmEngine needs a model name');
  }

  async run(input: TriageInput, policy: TriagePolicy, host: TriageToolHost): Promise<EngineResult> {
    const facts = buildFacts(input);
    const trace: TraceStep[] = [];
    const usage: TokenUsage = { prompt: 0, completion: 0, cached: 0 };
    const tools = toolsFor(policy);
    const giveUp = (reason: string): EngineResult =>
      this.fallback(input, policy, trace, usage, reason);

    if (!tools.some((t) => isTerminal(t.function.name as ToolName))) {
      return giveUp('The policy allows the agent no decision tool');
    }
    const messages: ChatMessage[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: buildReportMessage(input, facts, policy) },
    ];
    let textAnswers = 0;
    let invalidCalls = 0;

    for (let call = 0; ; call++) {
      if (call >= this.maxSteps) {
        return giveUp(`Step budget exceeded: ${this.maxSteps} model calls without a decision`);
      }
      const started = Date.now();
      let reply: ChatReply;
      try {
        reply = await this.client.chat({
          model: this.options.model,
          messages,
          tools,
          tool_choice: 'auto',
          parallel_tool_calls: false,
        });
      } catch (error) {
        if (!(error instanceof OpenAiError)) throw error;
        trace.push(step('model', {}, `failed: ${error.code}`, Date.now() - started, error.message));
        return giveUp(`The OpenAI API failed (${error.code}): ${error.message}`);
      }
      usage.prompt += reply.usage.promptTokens;
      usage.completion += reply.usage.completionTokens;
      usage.cached += reply.usage.cachedTokens;
      trace.push({
        ...step(
          'model',
          { model: this.options.model, messages: messages.length },
          describeReply(reply),
          Date.now() - started,
          modelReason(reply),
        ),
        tokensIn: reply.usage.promptTokens,
        tokensOut: reply.usage.completionTokens,
        tokensCached: reply.usage.cachedTokens,
      });

      if (reply.refusal) return giveUp(`The model refused: ${truncate(reply.refusal, 200)}`);
      if (reply.finishReason === 'content_filter') {
        return giveUp('The provider content filter stopped the answer');
      }
      messages.push(reply.message);

      if (!reply.toolCalls.length) {
        textAnswers++;
        if (textAnswers >= TEXT_ANSWERS_BEFORE_FALLBACK) {
          return giveUp(
            `Malformed output: the model answered in plain text ${textAnswers} times in a row`,
          );
        }
        messages.push({ role: 'user', content: NUDGE });
      } else {
        textAnswers = 0;
        for (const toolCall of reply.toolCalls) {
          const toolStarted = Date.now();
          const outcome = await this.execute(toolCall, input, facts, policy, host);
          if ('decision' in outcome) {
            trace.push(
              step(
                toolCall.name,
                argumentsOf(toolCall),
                summarizeDecision(outcome.decision),
                Date.now() - toolStarted,
                outcome.decision.reason,
              ),
            );
            return {
              engine: 'llm',
              facts,
              decision: outcome.decision,
              usage,
              trace,
            };
          }
          const content = serialize(outcome.result);
          trace.push(
            step(
              toolCall.name,
              argumentsOf(toolCall),
              summarizeResult(outcome.result),
              Date.now() - toolStarted,
              statedReason(toolCall),
            ),
          );
          messages.push({ role: 'tool', tool_call_id: toolCall.id, content });
          invalidCalls = outcome.invalid ? invalidCalls + 1 : 0;
          if (invalidCalls >= INVALID_CALLS_BEFORE_FALLBACK) {
            return giveUp(`Malformed output: ${invalidCalls} invalid tool calls in a row`);
          }
        }
      }
      const spent = usage.prompt + usage.completion;
      if (spent > this.tokenBudget) {
        return giveUp(`Token budget exceeded: ${spent} tokens spent, budget ${this.tokenBudget}`);
      }
    }
  }

  private async execute(
    call: ChatToolCall,
    input: TriageInput,
    facts: FactPicture,
    policy: TriagePolicy,
    host: TriageToolHost,
  ): Promise<Outcome> {
    const parsed = parseToolCall(call.name, call.arguments, policy);
    if (!parsed.ok) return { result: { error: parsed.error }, invalid: true };
    const args = parsed.args;
    try {
      switch (parsed.name) {
        case 'get_report':
          return ok(reportView(input));
        case 'get_recording_analysis':
          return ok(input.analysis ? analysisView(input) : { recording: null });
        case 'search_sentry': {
          const { query } = args as ToolArgs<'search_sentry'>;
          return ok({ issues: (await host.searchSentry(query)).slice(0, MAX_LIST) });
        }
        case 'get_sentry_issue': {
          const { id } = args as ToolArgs<'get_sentry_issue'>;
          const attached = input.sentryIssue;
          const issue =
            attached && (attached.id === id || attached.shortId === id)
              ? attached
              : await host.getSentryIssue(id);
          return ok(issue ?? { error: `No Sentry issue ${id}` });
        }
        case 'search_similar_issues': {
          const { query } = args as ToolArgs<'search_similar_issues'>;
          return ok({ issues: (await host.searchSimilarIssues(query)).slice(0, MAX_LIST) });
        }
        case 'ask_reporter':
          return this.ask(args as ToolArgs<'ask_reporter'>, input, facts, policy);
        case 'file_ticket': {
          const a = args as ToolArgs<'file_ticket'>;
          return {
            decision: {
              kind: 'file',
              ticket: {
                title: a.title,
                summary: a.summary,
                steps: a.steps,
                expected: a.expected,
                actual: a.actual,
                severity: a.severity,
                labels: a.labels,
              },
              confidence: a.confidence,
              reason: a.reason,
            },
          };
        }
        case 'mark_duplicate': {
          const a = args as ToolArgs<'mark_duplicate'>;
          return {
            decision: {
              kind: 'duplicate',
              target: a.target,
              ticket: proposalFromFacts(input, facts),
              confidence: a.confidence,
              reason: a.reason,
            },
          };
        }
        case 'escalate_to_human': {
          const a = args as ToolArgs<'escalate_to_human'>;
          const base = proposalFromFacts(input, facts);
          return {
            decision: {
              kind: 'escalate',
              ticket: {
                ...base,
                title: a.title ?? base.title,
                summary: a.summary ?? base.summary,
                severity: a.severity ?? base.severity,
              },
              reason: a.reason,
            },
          };
        }
      }
    } catch (error) {
      // A lookup that fails (Sentry down, search error) is the model's to work around.
      return {
        result: { error: `${call.name} failed: ${truncate((error as Error).message, 200)}` },
        invalid: false,
      };
    }
  }

  /**
   * The model's questions, each with its kind, minus any that asks for what the report or the
   * evidence already states: the same promise the deterministic engine keeps. When nothing is
   * left, the model is told what is known and decides again.
   */
  private ask(
    args: ToolArgs<'ask_reporter'>,
    input: TriageInput,
    facts: FactPicture,
    policy: TriagePolicy,
  ): Outcome {
    const left = questionsLeft(input, policy);
    if (left === 0) {
      return {
        result: { error: 'No questions left: decide with what is known.' },
        invalid: true,
      };
    }
    const text = [input.report.description, ...input.conversation.map((t) => t.answer ?? '')].join(
      '\n',
    );
    const asked = args.questions.map((q) =>
      typeof q === 'string'
        ? { kind: kindOf(q, facts), text: q, guessed: true }
        : { kind: q.kind, text: q.text, guessed: false },
    );
    // A kind guessed from free words is refused only where the words leave no doubt.
    const stated = asked.filter(
      (q) => (!q.guessed || SURE_KINDS.includes(q.kind)) && alreadyStated(q.kind, facts, text),
    );
    const kept = asked.filter((q) => !stated.includes(q)).slice(0, left);
    if (!kept.length) {
      const known = [...new Set(stated.map((q) => KIND_FILLS[q.kind]))]
        .map((key) => `${key}: "${truncate(facts[key]?.value ?? '', 80)}" (${facts[key]?.source})`)
        .join('; ');
      return {
        result: {
          error: `Every question asks for what is already known (${known}). Ask only about a real gap, or file the ticket.`,
        },
        invalid: true,
      };
    }
    const questions: Question[] = kept.map((q) => ({
      key: KIND_FILLS[q.kind],
      kind: q.kind,
      text: q.text,
    }));
    const reason = stated.length
      ? `${args.reason} (left out ${stated.length} question(s) about what is already known: ${stated.map((q) => q.kind).join(', ')})`
      : args.reason;
    return { decision: { kind: 'ask', questions, reason } };
  }

  private fallback(
    input: TriageInput,
    policy: TriagePolicy,
    trace: TraceStep[],
    usage: TokenUsage,
    reason: string,
  ): EngineResult {
    const started = Date.now();
    const fallback = runDeterministic(input, policy);
    return {
      ...fallback,
      usage: {
        prompt: usage.prompt + fallback.usage.prompt,
        completion: usage.completion + fallback.usage.completion,
        cached: usage.cached + fallback.usage.cached,
      },
      trace: [
        ...trace,
        step('fallback', {}, 'the deterministic engine decides', Date.now() - started, reason),
        ...fallback.trace,
      ],
      fallbackReason: reason,
    };
  }
}

function ok(result: unknown): Outcome {
  return { result, invalid: false };
}

function step(
  tool: string,
  args: Record<string, unknown>,
  result: string,
  latencyMs: number,
  reason: string,
): TraceStep {
  return {
    engine: 'llm',
    tool,
    arguments: args,
    result: truncate(result.replace(/\s+/g, ' '), 200),
    tokensIn: 0,
    tokensOut: 0,
    tokensCached: 0,
    latencyMs,
    reason: truncate(reason, 500),
  };
}

/** The call's arguments as stored in the trace: parsed when possible, and always redacted. */
function argumentsOf(call: ChatToolCall): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(call.arguments);
  } catch {
    value = { raw: truncate(call.arguments, 500) };
  }
  const record =
    value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  return redactDeep(record).value;
}

function statedReason(call: ChatToolCall): string {
  try {
    const args = JSON.parse(call.arguments) as { reason?: unknown; query?: unknown };
    if (typeof args.reason === 'string') return redactText(args.reason).value;
    if (typeof args.query === 'string') return redactText(`query: ${args.query}`).value;
  } catch {
    // Malformed arguments have no reason to quote.
  }
  return '';
}

function modelReason(reply: ChatReply): string {
  if (reply.content?.trim()) return redactText(reply.content.trim()).value;
  const first = reply.toolCalls[0];
  return first ? statedReason(first) : '';
}

function describeReply(reply: ChatReply): string {
  if (reply.refusal) return `refusal (${reply.finishReason})`;
  if (reply.toolCalls.length) {
    return `calls ${reply.toolCalls.map((c) => c.name).join(', ')} (${reply.finishReason})`;
  }
  return `text, no tool call (${reply.finishReason})`;
}

function summarizeDecision(decision: TriageDecision): string {
  switch (decision.kind) {
    case 'ask':
      return `asks ${decision.questions.length} question(s)`;
    case 'file':
      return `files "${decision.ticket.title}" (${decision.ticket.severity}, confidence ${decision.confidence})`;
    case 'duplicate':
      return `duplicate of ${decision.target} (confidence ${decision.confidence})`;
    case 'escalate':
      return 'escalates to a person';
  }
}

function summarizeResult(result: unknown): string {
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    if (typeof r.error === 'string') return `error: ${r.error}`;
    if (Array.isArray(r.issues)) return `${r.issues.length} issue(s)`;
    if (r.recording === null) return 'no recording';
  }
  return `ok, ${serialize(result).length} chars`;
}

function serialize(result: unknown): string {
  const text = JSON.stringify(result) ?? 'null';
  return text.length <= MAX_RESULT_CHARS
    ? text
    : `${text.slice(0, MAX_RESULT_CHARS)}…[cut ${text.length - MAX_RESULT_CHARS} chars]`;
}

function reportView(input: TriageInput): unknown {
  return {
    report: input.report,
    reporter: input.reporter?.name ? { name: input.reporter.name } : null,
    account: input.account,
    conversation: input.conversation,
  };
}

/** The recording's analysis without the raw timeline: what the model reasons from, compactly. */
function analysisView(input: TriageInput): unknown {
  const a = input.analysis!;
  return {
    startUrl: a.startUrl,
    steps: a.steps.slice(0, 25).map((s) => ({ n: s.n, t: s.t, text: s.text, url: s.url })),
    errors: a.errors.slice(0, MAX_LIST).map((e) => ({
      t: e.t,
      level: e.level,
      message: truncate(e.message, 300),
      uncaught: e.uncaught,
      stack: e.stack.slice(0, 3),
    })),
    failedRequests: a.failedRequests.slice(0, MAX_LIST),
    signals: a.signals.slice(0, MAX_LIST),
    failure: a.failure,
    environment: a.environment,
    durationMs: a.stats.ms,
  };
}

/** The ticket the record keeps for decisions that do not write one (duplicate, escalate). */
function proposalFromFacts(input: TriageInput, facts: FactPicture): TicketProposal {
  const firstLine = input.report.description.trim().split('\n')[0] ?? '';
  return {
    title: truncate(facts.actual?.value ?? (firstLine || 'Bug report'), 80),
    summary: truncate(input.report.description.trim() || (facts.actual?.value ?? ''), 2000),
    steps: facts.steps?.items ?? [],
    expected: facts.expected?.value ?? null,
    actual: facts.actual?.value ?? null,
    severity: 'medium',
    labels: ['bug'],
  };
}

const KIND_WORDS: [QuestionKind, RegExp][] = [
  ['screenshot', /screenshot|screen recording|video|picture|photo/i],
  ['logs', /\blogs?\b|console|stack ?trace|crash (?:report|file)|\boutput\b|devtools/i],
  [
    'latest',
    /\blatest\b|newest|most recent (?:version|release)|still happen\w* (?:on|after|in) (?:the )?(?:new|update)/i,
  ],
  ['version', /\bversion\b|which build|which release/i],
  ['steps', /\bsteps?\b|what did you (do|click)|before (it|this)|reproduce/i],
  ['expected', /expect|should|supposed to/i],
  ['frequency', /how often|every time|always|again|each time|consistently/i],
  ['environment', /browser|device|operating system|\bos\b|mobile|desktop/i],
  ['when', /\bwhen did\b|what time|which date|since when/i],
  ['where', /which page|\bpage\b|screen|url|where/i],
  ['impact', /block|workaround|how many|impact|urgent|affect/i],
  ['actual', /error|message|happen|see|saw/i],
];

/** Which gap a free-form question is about, so the answer lands on the right fact. */
function kindOf(text: string, facts: FactPicture): QuestionKind {
  const match = KIND_WORDS.find(([, pattern]) => pattern.test(text));
  if (match) return match[0];
  const gap = (Object.keys(facts) as FactKey[]).find((key) => facts[key] === null);
  return gap ?? 'actual';
}

/**
 * True when a question of this kind would ask for what is known. "Latest" and "screenshot" ask
 * for something beyond their fact (a newer build, a picture): they are known only when the
 * reporter said they tried the latest build, or attached a picture.
 */
function alreadyStated(kind: QuestionKind, facts: FactPicture, text: string): boolean {
  if (kind === 'latest') return statesLatest(text);
  if (kind === 'screenshot') return hasMedia(text) || facts.actual?.source === 'recording';
  // Sentry knows the error, not what the reporter saw: asking them that is fair.
  if (kind === 'actual') return isKnown(facts, 'actual') && facts.actual?.source !== 'sentry';
  return isKnown(facts, KIND_FILLS[kind]);
}

/** Kinds whose words in a free-form question leave no doubt about what it asks. */
const SURE_KINDS: QuestionKind[] = [
  'screenshot',
  'logs',
  'latest',
  'version',
  'steps',
  'expected',
  'environment',
];
