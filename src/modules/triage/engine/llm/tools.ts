import { z } from 'zod';
import {
  QUESTION_KINDS,
  SEVERITIES,
  TOOL_NAMES,
  type TriagePolicy,
  type ToolName,
} from '../triage.types';
import type { ChatTool } from '../../../../integrations/openai/openai.client';

/** The most questions one ask_reporter call may carry; the policy's allowance cuts further. */
export const MAX_QUESTIONS_PER_CALL = 10;

const reason = z.string().min(1).max(600).describe('Why, citing evidence');
const confidence = z.number().min(0).max(1);

/** Each tool's arguments. Descriptions are short on purpose: they are sent with every call. */
export const TOOL_SCHEMAS = {
  get_report: z.object({}),
  get_recording_analysis: z.object({}),
  search_sentry: z.object({ query: z.string().min(1).max(200) }),
  get_sentry_issue: z.object({ id: z.string().min(1).max(100).describe('Issue id or short id') }),
  search_similar_issues: z.object({ query: z.string().min(1).max(300) }),
  ask_reporter: z.object({
    questions: z
      .array(
        z.union([
          z.object({
            kind: z.enum(QUESTION_KINDS).describe('What it asks for'),
            text: z.string().min(1).max(300),
          }),
          z.string().min(1).max(300),
        ]),
      )
      .min(1)
      .max(MAX_QUESTIONS_PER_CALL),
    reason,
  }),
  file_ticket: z.object({
    title: z.string().min(1).max(120),
    summary: z.string().min(1).max(2000),
    steps: z.array(z.string().min(1).max(300)).max(20),
    expected: z.string().max(500).nullable(),
    actual: z.string().max(500).nullable(),
    severity: z.enum(SEVERITIES),
    labels: z.array(z.string().min(1).max(40)).max(8),
    confidence,
    reason,
  }),
  mark_duplicate: z.object({
    target: z.string().min(1).max(40).describe('Issue key, e.g. ENG-42'),
    reason,
    confidence,
  }),
  escalate_to_human: z.object({
    reason,
    title: z.string().min(1).max(120).optional(),
    summary: z.string().min(1).max(2000).optional(),
    severity: z.enum(SEVERITIES).optional(),
  }),
} satisfies Record<ToolName, z.ZodType>;

export type ToolArgs<T extends ToolName> = z.infer<(typeof TOOL_SCHEMAS)[T]>;

const DESCRIPTIONS: Record<ToolName, string> = {
  get_report: 'Full report: description, page, client, account, conversation.',
  get_recording_analysis:
    'Session recording analysis: steps, errors, failed requests, signals, environment.',
  search_sentry: 'Search Sentry issues by error text, URL or culprit.',
  get_sentry_issue: 'One Sentry issue: frames, breadcrumbs, release, users affected.',
  search_similar_issues: 'Search open tracker issues for possible duplicates.',
  ask_reporter:
    'Terminal. Ask the reporter what evidence cannot answer; a question about a known fact is refused.',
  file_ticket: 'Terminal. File the bug as a ticket.',
  mark_duplicate: 'Terminal. The report duplicates an open tracker issue.',
  escalate_to_human: 'Terminal. A person must decide (unclear, risky, not a bug).',
};

export const TERMINAL_TOOLS: readonly ToolName[] = [
  'ask_reporter',
  'file_ticket',
  'mark_duplicate',
  'escalate_to_human',
];

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

export function isTerminal(name: ToolName): boolean {
  return TERMINAL_TOOLS.includes(name);
}

const definitions = new Map<ToolName, ChatTool>(
  TOOL_NAMES.map((name) => {
    const parameters: Record<string, unknown> = { ...z.toJSONSchema(TOOL_SCHEMAS[name]) };
    // The dialect URL costs tokens on every call and tells the model nothing.
    delete parameters.$schema;
    return [
      name,
      {
        type: 'function',
        function: { name, description: DESCRIPTIONS[name], parameters, strict: false },
      },
    ];
  }),
);

/**
 * The `tools` parameter for a policy: the allowed tools in a fixed order, so the same policy
 * always sends the same bytes (the provider caches the prompt prefix).
 */
export function toolsFor(policy: TriagePolicy): ChatTool[] {
  return TOOL_NAMES.filter((name) => policy.allowedTools.includes(name)).map((name) =>
    definitions.get(name)!,
  );
}

export type ParsedCall =
  { ok: true; name: ToolName; args: Record<string, unknown> } | { ok: false; error: string };

/**
 * Parses and validates one tool call. Errors are worded for the model: they name the field, so
 * it can correct itself on the next turn.
 */
export function parseToolCall(name: string, raw: string, policy: TriagePolicy): ParsedCall {
  if (!isToolName(name)) {
    return { ok: false, error: `Unknown tool "${name}". Use only the tools offered.` };
  }
  if (!policy.allowedTools.includes(name)) {
    return { ok: false, error: `Tool "${name}" is not allowed by this project's policy.` };
  }
  let json: unknown;
  try {
    json = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      error: `Arguments of ${name} are not valid JSON (${(error as Error).message}).`,
    };
  }
  const parsed = TOOL_SCHEMAS[name].safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
      .join('; ');
    return { ok: false, error: `Invalid arguments for ${name}: ${issues}` };
  }
  return { ok: true, name, args: parsed.data };
}
