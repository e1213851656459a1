/**
 * How `repro eval triage` runs the agent on a dataset row: the row becomes an API report
 * (title, blank line, body; no page, client or reporter), redacted as the real path redacts,
 * then the LLM engine (when given) or the deterministic engine decides one turn.
 */
import type { LlmEngine } from '../engine/llm/llm-engine';
import { runDeterministic } from '../engine/deterministic/deterministic-engine';
import { writeTicket } from '../engine/ticket/ticket-writer';
import { NOTHING_TO_LOOK_UP, triageInput } from '../engine/triage-input';
import type { TriagePolicy } from '../engine/triage.types';
import { type EvalReportRow, type EvalRun, rowDescription } from './triage-eval';

/** The API's limit on a description (CreateReportDto). */
const DESCRIPTION_MAX = 20_000;

export function triageRunner(options: {
  policy: TriagePolicy;
  llm?: LlmEngine;
  now?: Date;
}): (row: EvalReportRow) => Promise<EvalRun> {
  return async (row) => {
    const { input } = triageInput(
      {
        id: null,
        description: rowDescription(row).slice(0, DESCRIPTION_MAX),
        source: 'api',
        pageUrl: null,
        pageTitle: null,
        userAgent: null,
        locale: null,
        timezone: null,
        viewport: null,
        createdAt: options.now ?? new Date(),
        reporter: null,
        account: null,
      },
      { analysis: null, sentryIssue: null, conversation: [] },
      options.policy,
    );
    const result = options.llm
      ? await options.llm.run(input, options.policy, NOTHING_TO_LOOK_UP)
      : runDeterministic(input, options.policy);
    return {
      facts: result.facts,
      decision: result.decision,
      draftTitle:
        result.decision.kind === 'ask' ? writeTicket(result.facts, input).title : undefined,
    };
  };
}
