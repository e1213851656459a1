/**
 * The triage agent's data: what it knows about a report and from where, what it asks, what it
 * decides. Pure types shared by both engines, the pipeline, the API and `repro triage`.
 */
import type { RecordingAnalysis } from '../../recordings/analyzer/types';
import type { SentryAttachment } from '../../sentry/sentry-attachment';

/** Where a fact comes from, strongest evidence first. */
export const FACT_SOURCES = ['recording', 'sentry', 'account', 'reporter', 'inferred'] as const;
export type FactSource = (typeof FACT_SOURCES)[number];

/** The facts that make a bug reproducible. */
export const FACT_KEYS = [
  'actual',
  'expected',
  'steps',
  'where',
  'when',
  'frequency',
  'impact',
  'environment',
  'version',
  'logs',
] as const;
/**
 * `environment` is where it runs (OS, browser, device); `version` is which build of the product
 * (an app version, a server release); `logs` is diagnostic output the reporter gave (a stack
 * trace, console or server log lines, a crash file).
 */
export type FactKey = (typeof FACT_KEYS)[number];

export interface Fact {
  /** One line a person reads ("Clicking Save on /billing returns 500"). */
  value: string;
  /** For steps: the steps in order. */
  items?: string[];
  source: FactSource;
  /** 0–1: how sure we are the value is right. */
  confidence: number;
  /** What the fact rests on, in words ("POST /api/billing 500 at 14:02:11"). */
  evidence?: string;
}

/** Every key is present; null means nothing is known about it. */
export type FactPicture = Record<FactKey, Fact | null>;

export { SEVERITIES, type Severity } from '../../../common/severity';
import type { Severity } from '../../../common/severity';

/**
 * What a question asks for. Most kinds ask for a fact of the same name; `latest` (does it still
 * happen on the newest version) fills `version`, `screenshot` fills `actual`.
 */
export const QUESTION_KINDS = [
  'actual',
  'steps',
  'expected',
  'where',
  'environment',
  'version',
  'logs',
  'latest',
  'screenshot',
  'frequency',
  'impact',
  'when',
] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** The fact a kind of question fills. */
export const KIND_FILLS: Record<QuestionKind, FactKey> = {
  actual: 'actual',
  steps: 'steps',
  expected: 'expected',
  where: 'where',
  environment: 'environment',
  version: 'version',
  logs: 'logs',
  latest: 'version',
  screenshot: 'actual',
  frequency: 'frequency',
  impact: 'impact',
  when: 'when',
};

/** A question for the reporter, about one gap in the picture. */
export interface Question {
  /** The fact the answer fills. */
  key: FactKey;
  /** What it asks for; absent on questions stored before kinds existed (read it as `key`). */
  kind?: QuestionKind;
  text: string;
}

/** One exchange with the reporter: what we asked, and their answer once it arrives. */
export interface ConversationTurn {
  questions: string[];
  /** What the question was about, parallel to `questions` (absent for free-form LLM questions). */
  keys?: (FactKey | null)[];
  answer: string | null;
  askedAt: string;
  answeredAt: string | null;
}

/** The ticket the agent proposes. The body is rendered from it together with the evidence. */
export interface TicketProposal {
  title: string;
  summary: string;
  steps: string[];
  expected: string | null;
  actual: string | null;
  severity: Severity;
  /** What the severity rests on, in a few words (`words: crash`, `Sentry: 60 users`); the
   * ticket's priority shows it. Absent when nothing stood out (medium) or the engine did not say. */
  severityWhy?: string;
  labels: string[];
}

/** Everything an engine may read about one report. Text fields are already redacted. */
export interface TriageInput {
  report: {
    id: string | null;
    description: string;
    source: 'widget' | 'email' | 'api';
    pageUrl: string | null;
    pageTitle: string | null;
    userAgent: string | null;
    locale: string | null;
    timezone: string | null;
    viewport: { width: number; height: number } | null;
    /** ISO time the report arrived. */
    createdAt: string;
  };
  reporter: { name: string | null; email: string | null } | null;
  account: { name: string | null; tier: string | null } | null;
  analysis: RecordingAnalysis | null;
  sentryIssue: SentryAttachment | null;
  /** Earlier questions and the reporter's answers, oldest first. */
  conversation: ConversationTurn[];
}

export { TOOL_NAMES, type ToolName, type TriagePolicy } from '../../projects/policy';

/** What the engine decided for this turn. */
export type TriageDecision =
  | { kind: 'ask'; questions: Question[]; reason: string }
  | { kind: 'file'; ticket: TicketProposal; confidence: number; reason: string }
  | {
      kind: 'duplicate';
      /** The tracker issue key (e.g. ENG-42, #17, REP-3) it duplicates. */
      target: string;
      ticket: TicketProposal;
      confidence: number;
      reason: string;
    }
  | { kind: 'escalate'; ticket: TicketProposal; reason: string };

/** One step of an engine's work, as stored and shown at `GET /v1/reports/:id/trace`. */
export interface TraceStep {
  engine: 'deterministic' | 'llm';
  /** A tool name, or `model` for a chat completion, `fallback`, `facts`, `questions`, `ticket`. */
  tool: string;
  /** Redacted arguments. */
  arguments: Record<string, unknown>;
  /** One line about the result. */
  result: string;
  tokensIn: number;
  tokensOut: number;
  /** Prompt tokens the provider served from its cache. */
  tokensCached: number;
  latencyMs: number;
  /** Why the engine took this step, in its own words. */
  reason: string;
}

export interface TokenUsage {
  prompt: number;
  completion: number;
  cached: number;
}

export interface EngineResult {
  engine: 'deterministic' | 'llm';
  facts: FactPicture;
  decision: TriageDecision;
  usage: TokenUsage;
  /** Every step taken, in order (the deterministic engine's too). */
  trace: TraceStep[];
  /** Set when the LLM engine gave up and the deterministic engine decided instead. */
  fallbackReason?: string;
}

/** A Sentry issue as `search_sentry` lists it. */
export interface SentryIssueSummary {
  id: string;
  shortId: string;
  title: string;
  culprit: string | null;
  events: number | null;
  lastSeen: string | null;
  permalink: string;
}

/** An open tracker issue as `search_similar_issues` lists it, best first. */
export interface SimilarIssue {
  key: string;
  title: string;
  url: string | null;
  score: number;
  reasons: string[];
}

/**
 * The lookups the LLM engine's tools make outside the report itself. The pipeline backs them
 * with Sentry and the dedupe search; `repro triage --dry-run` with empty answers.
 */
export interface TriageToolHost {
  searchSentry(query: string): Promise<SentryIssueSummary[]>;
  getSentryIssue(id: string): Promise<SentryAttachment | null>;
  searchSimilarIssues(query: string): Promise<SimilarIssue[]>;
}
