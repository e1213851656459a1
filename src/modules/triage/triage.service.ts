import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, IsNull, Not } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { OPENAI_CLIENT } from '../../integrations/openai/openai.module';
import type { OpenAiClient } from '../../integrations/openai/openai.client';
import {
  addCounts,
  describeCounts,
  type RedactionCounts,
  redactDeep,
} from '../../privacy/redaction';
import { ConversationService } from '../conversation/conversation.service';
import type { AgentConversationMessage } from '../conversation/conversation';
import { TriagePolicyService } from '../projects/triage-policy.service';
import { RecordingsService } from '../recordings/recordings.service';
import type { Report } from '../reports/entities/report.entity';
import { ReportsService } from '../reports/reports.service';
import { buildAttachment, type SentryAttachment } from '../sentry/sentry-attachment';
import type { RecordingAnalysis } from '../recordings/analyzer/types';
import type { SentryApiClient } from '../sentry/sentry-api.client';
import { SENTRY_API_CLIENT, SentryMatchingService } from '../sentry/sentry-matching.service';
import { runDeterministic } from './engine/deterministic/deterministic-engine';
import { LlmEngine, llmEngineOptions } from './engine/llm/llm-engine';
import { conversationTurns, triageInput } from './engine/triage-input';
import {
  type TriagePolicy,
  type TriageToolHost,
  type EngineResult,
  FACT_KEYS,
  type FactKey,
  type FactPicture,
  type TicketProposal,
  type TraceStep,
  type TriageInput,
} from './engine/triage.types';
import { TriageStep } from './entities/triage-step.entity';
import { type HumanDecision, ReportTriage } from './entities/report-triage.entity';
import type { Project } from '../projects/entities/project.entity';
import type { Recording } from '../recordings/entities/recording.entity';

export interface TraceView {
  reportId: string;
  engine: string | null;
  fallbackReason: string | null;
  totals: { steps: number; tokensIn: number; tokensOut: number; tokensCached: number };
  steps: (Omit<TraceStep, 'engine'> & { engine: string; run: number; seq: number; at: string })[];
}

/** The lookups the pipeline lends the LLM engine from other capabilities (the open issues). */
export type TriageLookups = Pick<TriageToolHost, 'searchSimilarIssues'>;

/** What the caller of `run` has just read about the report. */
export interface KnownTriage {
  report: Report;
  record: ReportTriage | null;
  /** The agent's conversation (ConversationService.messages: no staff messages). */
  messages: AgentConversationMessage[];
  /** What analysis and Sentry matching found, when the caller has it (read here otherwise). */
  evidence?: TriageEvidence;
  /** The report's project, when the caller has it (read here otherwise). */
  project?: Project;
}

export interface TriageEvidence {
  analysis: RecordingAnalysis | null;
  sentryIssue: SentryAttachment | null;
  /** The recording itself, when it was read for this. */
  recording?: Recording | null;
}

export interface TriageRun {
  result: EngineResult;
  policy: TriagePolicy;
  reporterName: string | null;
  /** The reporter did not answer in time, so this run could ask nothing more. */
  clarifyClosed: boolean;
  run: number;
  /** The report's triage record as this run stored it (its timestamps are not read back). */
  record: ReportTriage;
}

/** How far back search_sentry looks. */
const SENTRY_SEARCH_DAYS = 14;

/**
 * Runs the triage agent on a stored report: gathers what is known (redacted), runs the LLM
 * engine when a key is configured and the deterministic engine otherwise, and stores the fact
 * picture, the proposal and every step. Acting on the decision is the pipeline's job.
 */
@Injectable()
export class TriageService {
  private readonly logger = new Logger(TriageService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(OPENAI_CLIENT) private readonly openai: OpenAiClient | null,
    @Inject(SENTRY_API_CLIENT) private readonly sentry: SentryApiClient | null,
    private readonly conversation: ConversationService,
    private readonly reports: ReportsService,
    private readonly recordings: RecordingsService,
    private readonly sentryMatches: SentryMatchingService,
    private readonly policies: TriagePolicyService,
  ) {}

  /** What the agent knows and proposed for the report, and how its conversation stands. */
  record(reportId: string, manager: EntityManager = this.db.manager): Promise<ReportTriage | null> {
    return manager.getRepository(ReportTriage).findOneBy({ reportId });
  }

  /** An answer arrived: the conversation is open again, even after the timeout. */
  async reopenClarifying(manager: EntityManager, reportId: string): Promise<void> {
    await manager.update(ReportTriage, { reportId }, { clarifyClosedAt: null });
  }

  /** Questions asked count against the policy's limit. */
  async countQuestions(manager: EntityManager, reportId: string, count: number): Promise<void> {
    await manager.increment(ReportTriage, { reportId }, 'questionsAsked', count);
  }

  /** Of these reports, those whose wait for answers has ended. */
  async clarifyClosed(reportIds: string[]): Promise<Set<string>> {
    if (!reportIds.length) return new Set();
    const rows = await this.db.getRepository(ReportTriage).find({
      select: { reportId: true },
      where: { reportId: In(reportIds), clarifyClosedAt: Not(IsNull()) },
    });
    return new Set(rows.map((r) => r.reportId));
  }

  /** Stores a person's decision (and the edited proposal) with the report's triage record. */
  async recordDecision(
    manager: EntityManager,
    report: Pick<Report, 'id' | 'projectId'>,
    human: HumanDecision,
    proposal: TicketProposal | null,
  ): Promise<void> {
    const repo = manager.getRepository(ReportTriage);
    const existing = await repo.findOneBy({ reportId: report.id });
    await repo.upsert(
      {
        reportId: report.id,
        projectId: report.projectId,
        engine: existing?.engine ?? 'none',
        facts: existing?.facts ?? emptyFacts(),
        humanDecision: human,
        ...(proposal ? { proposal } : {}),
      },
      ['reportId'],
    );
  }

  /** Every step of the agent's work on the report, with token totals. */
  async trace(reportId: string): Promise<TraceView> {
    const triage = await this.record(reportId);
    const steps = await this.db.getRepository(TriageStep).find({
      where: { reportId },
      order: { run: 'ASC', seq: 'ASC' },
    });
    const sum = (pick: (s: TriageStep) => number) => steps.reduce((n, s) => n + pick(s), 0);
    return {
      reportId,
      engine: triage?.engine ?? null,
      fallbackReason: triage?.fallbackReason ?? null,
      totals: {
        steps: steps.length,
        tokensIn: sum((s) => s.tokensIn),
        tokensOut: sum((s) => s.tokensOut),
        tokensCached: sum((s) => s.tokensCached),
      },
      steps: steps.map(({ id: _id, reportId: _report, createdAt, ...step }) => ({
        ...step,
        at: createdAt.toISOString(),
      })),
    };
  }

  /** Ends the wait for answers; false when it had ended already. */
  async closeClarifying(reportId: string): Promise<boolean> {
    const result = await this.db
      .createQueryBuilder()
      .update(ReportTriage)
      .set({ clarifyClosedAt: () => 'now()' })
      .where('report_id = :reportId AND clarify_closed_at IS NULL', { reportId })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * One run of the agent on the report as it stands, stored with its trace. `known` is what the
   * caller read just before (the report with its people, this record, the conversation).
   */
  async run(reportId: string, lookups: TriageLookups, known?: KnownTriage): Promise<TriageRun> {
    const report = known?.report ?? (await this.reports.withPeople(reportId));
    const policy = await this.policies.forProject(report.projectId, known?.project);
    const existing = known ? known.record : await this.record(reportId);
    // After the timeout nothing more is asked: the questions already asked use up the allowance.
    const effective: TriagePolicy = existing?.clarifyClosedAt
      ? { ...policy, maxQuestions: Math.min(policy.maxQuestions, existing.questionsAsked) }
      : policy;
    const { input, redactions } = await this.input(
      report,
      effective,
      known?.messages,
      known?.evidence,
    );
    // Sentry issues the LLM looked up itself, for the ticket when matching found none.
    const looked: SentryAttachment[] = [];

    const result = this.openai
      ? await new LlmEngine(this.openai, llmEngineOptions(this.config)).run(
          input,
          effective,
          this.toolHost(input, looked, lookups),
        )
      : runDeterministic(input, effective);

    const run = (existing?.runs ?? 0) + 1;
    const decision = result.decision;
    const proposal = decision.kind === 'ask' ? (existing?.proposal ?? null) : decision.ticket;
    const confidence =
      decision.kind === 'file' || decision.kind === 'duplicate' ? decision.confidence : null;
    const stored = {
      reportId,
      projectId: report.projectId,
      engine: result.engine,
      facts: result.facts,
      proposal,
      decision,
      confidence,
      fallbackReason: result.fallbackReason ?? null,
      runs: run,
      redactions: addCounts(existing?.redactions ?? {}, redactions),
    };
    await this.db.transaction(async (manager) => {
      await manager.getRepository(ReportTriage).upsert(stored, ['reportId']);
      if (result.trace.length) {
        const steps = manager.getRepository(TriageStep);
        await steps.save(
          result.trace.map((step, i) =>
            steps.create({
              ...step,
              reportId,
              run,
              seq: i + 1,
              latencyMs: Math.round(step.latencyMs),
            }),
          ),
        );
      }
      if ((decision.kind === 'file' || decision.kind === 'duplicate') && looked.length) {
        await this.sentryMatches.attachLookedUp(
          manager,
          report,
          looked[looked.length - 1],
          decision,
        );
      }
      const known = (Object.entries(result.facts) as [FactKey, unknown][])
        .filter(([, fact]) => fact)
        .map(([key]) => key);
      const redacted = describeCounts(redactions);
      await this.reports.audit(
        {
          reportId,
          stage: 'clarify',
          event: 'triage',
          reason: [
            `${result.engine === 'llm' ? 'LLM' : 'Deterministic'} engine, run ${run}: ${decision.reason}`,
            result.fallbackReason &&
              `fell back to the deterministic engine: ${result.fallbackReason}`,
            redacted && `redacted ${redacted}`,
          ]
            .filter(Boolean)
            .join('; '),
          details: {
            engine: result.engine,
            run,
            decision: decision.kind,
            known,
            facts: result.facts,
            fallbackReason: result.fallbackReason ?? null,
            // Counts by type only, never the values.
            redactions,
            tokens: result.usage,
          },
        },
        manager,
      );
    });
    return {
      result,
      policy: effective,
      reporterName: report.reporter?.name ?? null,
      clarifyClosed: Boolean(existing?.clarifyClosedAt),
      run,
      record: Object.assign(
        new ReportTriage(),
        existing ?? { questionsAsked: 0, clarifyClosedAt: null, humanDecision: null },
        stored,
      ),
    };
  }

  /** What the engines read about the report, redacted for the LLM and the ticket. */
  async input(
    report: Report,
    policy: TriagePolicy,
    known?: AgentConversationMessage[],
    evidence?: TriageEvidence,
  ): Promise<{ input: TriageInput; redactions: RedactionCounts }> {
    const { analysis, sentryIssue } = evidence ?? (await this.evidence(report.id));
    const messages = known ?? (await this.conversation.messages(report.id));
    return triageInput(
      {
        id: report.id,
        description: report.description,
        source: report.source,
        pageUrl: report.pageUrl,
        pageTitle: report.pageTitle,
        userAgent: report.userAgent,
        locale: report.client.locale ?? null,
        timezone: report.client.timezone ?? null,
        viewport: report.client.viewport ?? null,
        createdAt: report.createdAt,
        reporter: report.reporter
          ? { name: report.reporter.name, email: report.reporter.email }
          : null,
        account: report.account ? { name: report.account.name, tier: report.account.tier } : null,
      },
      { analysis, sentryIssue, conversation: conversationTurns(messages) },
      policy,
    );
  }

  /** What the recording's analysis and Sentry matching found for the report, as stored. */
  async evidence(reportId: string): Promise<TriageEvidence> {
    const recording = await this.recordings.findForReport(reportId);
    const match = await this.sentryMatches.find(reportId);
    return {
      analysis: recording && recording.status !== 'refused' ? recording.analysis : null,
      sentryIssue: match?.issue ?? null,
      recording,
    };
  }

  /** The LLM's lookups: Sentry (when configured) and the open issues dedupe searches. */
  private toolHost(
    input: TriageInput,
    looked: SentryAttachment[],
    lookups: TriageLookups,
  ): TriageToolHost {
    const sentry = this.sentry;
    const redact = <T>(value: T): T => redactDeep(value).value;
    return {
      searchSentry: async (query) => {
        if (!sentry) return [];
        const end = new Date();
        const start = new Date(end.getTime() - SENTRY_SEARCH_DAYS * 24 * 3_600_000);
        const issues = await sentry.searchIssues({ query, range: { start, end }, limit: 8 });
        return redact(
          issues.map((i) => ({
            id: i.id,
            shortId: i.shortId,
            title: i.title,
            culprit: i.culprit ?? null,
            events: Number.isFinite(Number(i.count)) ? Number(i.count) : null,
            lastSeen: i.lastSeen ?? null,
            permalink: i.permalink,
          })),
        );
      },
      getSentryIssue: async (id) => {
        if (
          input.sentryIssue &&
          (input.sentryIssue.id === id || input.sentryIssue.shortId === id)
        ) {
          return input.sentryIssue;
        }
        if (!sentry) return null;
        const issue = await sentry.getIssue(id);
        if (!issue) return null;
        const event = await sentry.latestEvent(issue.id);
        const candidate = {
          issueId: issue.id,
          shortId: issue.shortId,
          title: issue.title,
          score: 0,
          reasons: ['looked up by the triage agent'],
          eventId: event?.eventID ?? null,
          eventAt: null,
        };
        const attachment = redact(buildAttachment(candidate, issue, event, null));
        looked.push(attachment);
        return attachment;
      },
      searchSimilarIssues: async (query) => redact(await lookups.searchSimilarIssues(query)),
    };
  }
}

function emptyFacts(): FactPicture {
  return Object.fromEntries(FACT_KEYS.map((k) => [k, null])) as FactPicture;
}
