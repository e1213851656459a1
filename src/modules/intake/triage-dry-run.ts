import { type FieldProblem, ValidationFailedError } from '../../common/errors';
import { apiValidationPipe } from '../../common/validation';
import { CreateReportDto } from './dto/create-report.dto';
import { RecordingAnalyzer } from '../recordings/analyzer/analyzer';
import type { RecordingAnalysis } from '../recordings/analyzer/types';
import { renderTicketBody } from '../triage/engine/ticket/ticket-body';
import {
  type TriagePolicy,
  type EngineResult,
  FACT_KEYS,
  type FactPicture,
} from '../triage/engine/triage.types';
import { runDeterministic } from '../triage/engine/deterministic/deterministic-engine';
import { writeTicket } from '../triage/engine/ticket/ticket-writer';
import type { LlmEngine } from '../triage/engine/llm/llm-engine';
import { NOTHING_TO_LOOK_UP, triageInput } from '../triage/engine/triage-input';

export interface DryRunResult {
  engine: EngineResult['engine'];
  facts: FactPicture;
  questions: string[];
  decision: EngineResult['decision']['kind'];
  reason: string;
  fallbackReason: string | null;
  ticket: { title: string; body: string };
}

export class ReportFileError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(
      `The report file is not a valid report:\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ReportFileError';
  }
}

/**
 * `repro triage --dry-run`: the agent's turn on a report file (the POST /v1/reports body),
 * storing and sending nothing. The recording comes from `recording` or the body's `events`.
 */
export async function dryRunTriage(
  body: unknown,
  options: {
    recording: RecordingAnalysis | null;
    policy: TriagePolicy;
    /** The LLM engine to run; the deterministic engine without one. */
    llm?: LlmEngine;
    now?: Date;
  },
): Promise<DryRunResult> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ReportFileError([{ field: 'body', message: 'must be a JSON object' }]);
  }
  // Checked exactly as POST /v1/reports checks it.
  let dto: CreateReportDto;
  try {
    dto = (await apiValidationPipe().transform(body, {
      type: 'body',
      metatype: CreateReportDto,
    })) as CreateReportDto;
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    throw new ReportFileError((error.details as { fields: FieldProblem[] }).fields);
  }

  let analysis = options.recording;
  if (!analysis && dto.events?.length) {
    const analyzer = new RecordingAnalyzer({
      userAgent: dto.client?.userAgent ?? null,
      viewport: dto.client?.viewport ?? null,
      locale: dto.client?.locale ?? null,
      timezone: dto.client?.timezone ?? null,
    });
    for (const event of dto.events) analyzer.push(event);
    analysis = analyzer.finish();
  }
  const now = options.now ?? new Date();
  const { input } = triageInput(
    {
      id: null,
      description: dto.description,
      source: 'api',
      pageUrl: dto.page?.url ?? null,
      pageTitle: dto.page?.title ?? null,
      userAgent: dto.client?.userAgent ?? null,
      locale: dto.client?.locale ?? null,
      timezone: dto.client?.timezone ?? null,
      viewport: dto.client?.viewport ?? null,
      createdAt: now,
      reporter: dto.reporter
        ? { name: dto.reporter.name ?? null, email: dto.reporter.email ?? null }
        : null,
      account: dto.account
        ? { name: dto.account.name ?? null, tier: dto.account.tier ?? null }
        : null,
    },
    { analysis, sentryIssue: null, conversation: [] },
    options.policy,
  );

  const result = options.llm
    ? await options.llm.run(input, options.policy, NOTHING_TO_LOOK_UP)
    : runDeterministic(input, options.policy);
  const decision = result.decision;
  const proposal = decision.kind === 'ask' ? writeTicket(result.facts, input) : decision.ticket;
  // The draft shows what a ticket would: the redacted words and recording the engine read.
  const body_ = renderTicketBody({
    reportId: 'dry-run',
    description: input.report.description,
    pageUrl: input.report.pageUrl,
    pageTitle: input.report.pageTitle,
    userAgent: input.report.userAgent,
    client: {
      userAgent: dto.client?.userAgent,
      viewport: dto.client?.viewport,
      locale: dto.client?.locale,
      timezone: dto.client?.timezone,
    },
    sentry: { ...dto.sentry },
    reporter: null,
    account: null,
    recording: analysis
      ? { eventCount: analysis.stats.events, durationMs: analysis.stats.ms }
      : null,
    analysis: input.analysis,
    proposal,
    facts: result.facts,
  });
  return {
    engine: result.engine,
    facts: result.facts,
    questions: decision.kind === 'ask' ? decision.questions.map((q) => q.text) : [],
    decision: decision.kind,
    reason: decision.reason,
    fallbackReason: result.fallbackReason ?? null,
    ticket: { title: proposal.title, body: body_ },
  };
}

/** The dry run for people: the picture with its sources, the questions, the draft. */
export function formatDryRun(result: DryRunResult): string {
  const lines = [`Engine: ${result.engine}`];
  if (result.fallbackReason)
    lines.push(`Fell back to the deterministic engine: ${result.fallbackReason}`);
  lines.push('', 'What we know');
  for (const key of FACT_KEYS) {
    const fact = result.facts[key];
    lines.push(
      fact
        ? `  ${key}: ${fact.items?.length ? fact.items.map((s, i) => `${i + 1}. ${s}`).join(' ') : fact.value}  [${fact.source}, confidence ${fact.confidence.toFixed(2)}]`
        : `  ${key}: unknown`,
    );
  }
  lines.push(
    '',
    result.questions.length ? 'Questions it would ask' : 'Questions it would ask: none',
  );
  result.questions.forEach((q, i) => lines.push(`  ${i + 1}. ${q}`));
  lines.push('', `Decision: ${result.decision} (${result.reason})`, '', 'Ticket draft', '');
  lines.push(`# ${result.ticket.title}`, '', result.ticket.body);
  return `${lines.join('\n')}\n`;
}
