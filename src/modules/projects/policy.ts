import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../common/severity';

export const TOOL_NAMES = [
  'get_report',
  'get_recording_analysis',
  'search_sentry',
  'get_sentry_issue',
  'search_similar_issues',
  'ask_reporter',
  'file_ticket',
  'mark_duplicate',
  'escalate_to_human',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** What a project lets the agent do alone. */
export interface TriagePolicy {
  /** File without a person when the proposal's confidence is at least this (0–1). */
  autoFileThreshold: number;
  /** Severities that always need a person's approval. */
  approvalSeverities: Severity[];
  /** Account tiers (case-insensitive) whose reports always need a person's approval. */
  approvalTiers: string[];
  /** Questions asked in total over the conversation. */
  maxQuestions: number;
  /** Tools the agent may use; a decision it may not take goes to a person instead. */
  allowedTools: ToolName[];
  /** Keep the reporter's own email address in text sent to the LLM and the ticket. */
  allowReporterEmail: boolean;
  /** When the reporter does not answer in time: go on with what is known, or ask a person. */
  onClarifyTimeout: 'proceed' | 'needs_human';
  /** What the project tells reporters when the agent asks for logs, a version and so on. */
  questionHints: QuestionHints;
}

/**
 * A project's own words for its questions. Each hint is one short phrase that goes into the
 * question as it is; a hint the project leaves out leaves the generic question.
 */
export interface QuestionHints {
  /** Where logs are: "Help → Show Logs", "Settings → Help & About → Submit debug logs". */
  logs?: string;
  /** Where the version is shown: "Help → About", "the footer of the admin page". */
  version?: string;
  /** The newest version, or where to get it: "4.2.1", "https://example.com/download". */
  latest?: string;
  /**
   * Whether reporters run the product themselves and so have a version of their own: `true` for
   * apps and self-hosted servers, `false` for a hosted web app everyone uses at the same version.
   * Unset: judged from the report (a hosted widget report has no version of its own to ask).
   */
  versioned?: boolean;
}

/** The part of the triage agent's decision its policy looks at. */
export type PolicedDecision =
  | { kind: 'ask' }
  | { kind: 'escalate' }
  | { kind: 'file' | 'duplicate'; ticket: { severity: Severity }; confidence: number };

export const DEFAULT_POLICY: TriagePolicy = {
  autoFileThreshold: 0.5,
  approvalSeverities: [],
  approvalTiers: [],
  maxQuestions: 3,
  allowedTools: [...TOOL_NAMES],
  allowReporterEmail: false,
  onClarifyTimeout: 'proceed',
  questionHints: {},
};

/** The operator's defaults from the environment, for projects that set nothing. */
export function policyDefaults(config: {
  AGENT_AUTO_FILE_THRESHOLD: number;
  AGENT_APPROVAL_SEVERITIES: Severity[];
  AGENT_APPROVAL_TIERS: string[];
  AGENT_MAX_QUESTIONS: number;
  AGENT_ON_CLARIFY_TIMEOUT: 'proceed' | 'needs_human';
}): TriagePolicy {
  return {
    ...DEFAULT_POLICY,
    autoFileThreshold: config.AGENT_AUTO_FILE_THRESHOLD,
    approvalSeverities: config.AGENT_APPROVAL_SEVERITIES,
    approvalTiers: config.AGENT_APPROVAL_TIERS,
    maxQuestions: config.AGENT_MAX_QUESTIONS,
    onClarifyTimeout: config.AGENT_ON_CLARIFY_TIMEOUT,
  };
}

/** A project's stored policy, partial: what it leaves out takes the default. */
export const policySchema = z
  .object({
    autoFileThreshold: z.number().min(0).max(1),
    approvalSeverities: z.array(z.enum(SEVERITIES)).max(SEVERITIES.length),
    approvalTiers: z.array(z.string().trim().min(1).max(100)).max(50),
    maxQuestions: z.number().int().min(0).max(10),
    allowedTools: z.array(z.enum(TOOL_NAMES)).max(TOOL_NAMES.length),
    allowReporterEmail: z.boolean(),
    onClarifyTimeout: z.enum(['proceed', 'needs_human']),
    questionHints: z
      .object({
        logs: z.string().trim().min(1).max(300),
        version: z.string().trim().min(1).max(300),
        latest: z.string().trim().min(1).max(300),
        versioned: z.boolean(),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

export type PolicyOverrides = z.infer<typeof policySchema>;

/** A project's policy: its own settings over the operator's defaults. */
export function resolvePolicy(
  overrides: PolicyOverrides | null | undefined,
  defaults: TriagePolicy = DEFAULT_POLICY,
): TriagePolicy {
  return { ...defaults, ...(overrides ?? {}) };
}

export function allows(policy: TriagePolicy, tool: ToolName): boolean {
  return policy.allowedTools.includes(tool);
}

/** The tool that carries out each decision. */
const TOOL_OF: Record<PolicedDecision['kind'], ToolName> = {
  ask: 'ask_reporter',
  file: 'file_ticket',
  duplicate: 'mark_duplicate',
  escalate: 'escalate_to_human',
};

/**
 * Why a person must look before the agent's decision is carried out, or null when the agent
 * may act alone. Asking and escalating are always within bounds (asking is limited elsewhere).
 */
export function approvalNeeded(
  policy: TriagePolicy,
  decision: PolicedDecision,
  accountTier: string | null,
): string | null {
  if (decision.kind === 'escalate' || decision.kind === 'ask') return null;
  if (!allows(policy, TOOL_OF[decision.kind])) {
    return `The policy does not let the agent use ${TOOL_OF[decision.kind]} alone`;
  }
  const severity: Severity = decision.ticket.severity;
  if (policy.approvalSeverities.includes(severity)) {
    return `Severity ${severity} needs a person's approval`;
  }
  const tier = accountTier?.trim().toLowerCase();
  if (tier && policy.approvalTiers.some((t) => t.toLowerCase() === tier)) {
    return `Reports from ${accountTier} accounts need a person's approval`;
  }
  if (decision.confidence < policy.autoFileThreshold) {
    return `Confidence ${decision.confidence.toFixed(2)} is below the auto-file threshold ${policy.autoFileThreshold}`;
  }
  return null;
}

/** The emails redaction keeps in a project's text: the reporter's own, when its policy allows. */
export function keptEmails(
  policy: Pick<TriagePolicy, 'allowReporterEmail'>,
  reporterEmail: string | null | undefined,
): string[] {
  return policy.allowReporterEmail && reporterEmail ? [reporterEmail] : [];
}
