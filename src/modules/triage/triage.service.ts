import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { conversationTurns } from '../conversation/conversation';
import { ConversationService } from '../conversation/conversation.service';
import { DedupeService } from '../dedupe/dedupe.service';
import { Report } from '../reports/entities/report.entity';
import { PipelineService } from '../pipeline/pipeline.service';
import { Recording } from '../recordings/entities/recording.entity';
import { SentryMatch } from '../sentry/entities/sentry-match.entity';
import { buildAttachment, type SentryAttachment } from '../sentry/sentry-attachment';
import type { SentryApiClient } from '../sentry/sentry-api.client';
import { SENTRY_API_CLIENT } from '../sentry/sentry-matching.service';
import { OPENAI_CLIENT } from '../../integrations/openai/openai.module';
import type {
  AgentPolicy,
  AgentToolHost,
  EngineResult,
  FactKey,
  TriageInput,
} from './engine/triage.types';
import { runDeterministic } from './engine/deterministic/deterministic-engine';
import { AgentStep } from './entities/agent-step.entity';
import { ReportTriage } from './entities/report-triage.entity';
import { LlmEngine, llmEngineOptions } from './engine/llm/llm-engine';
import type { OpenAiClient } from '../../integrations/openai/openai.client';
import { AgentPolicyService } from '../projects/agent-policy.service';
import {
  addCounts,
  describeCounts,
  type RedactionCounts,
  redactDeep,
} from '../../privacy/redaction';
import { triageInput } from './engine/triage-input';

export interface TriageRun {
  result: EngineResult;
  policy: AgentPolicy;
  reporterName: string | null;
  /** The reporter did not answer in time, so this run could ask nothing more. */
  clarifyClosed: boolean;
  run: number;
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
    private readonly dedupe: DedupeService,
    private readonly pipeline: PipelineService,
    private readonly policies: AgentPolicyService,
  ) {}

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

  /** One run of the agent on the report as it stands, stored with its trace. */
  async run(reportId: string): Promise<TriageRun> {
    const report = await this.db.getRepository(Report).findOneOrFail({
      where: { id: reportId },
      relations: { reporter: true, account: true },
    });
    const policy = await this.policies.forProject(report.projectId);
    const existing = await this.db.getRepository(ReportTriage).findOneBy({ reportId });
    // After the timeout nothing more is asked: the questions already asked use up the allowance.
    const effective: AgentPolicy = existing?.clarifyClosedAt
      ? { ...policy, maxQuestions: Math.min(policy.maxQuestions, existing.questionsAsked) }
      : policy;
    const { input, redactions } = await this.input(report, effective);
    // Sentry issues the LLM looked up itself, for the ticket when matching found none.
    const looked: SentryAttachment[] = [];

    const result = this.openai
      ? await new LlmEngine(this.openai, llmEngineOptions(this.config)).run(
          input,
          effective,
          this.toolHost(report.projectId, input, looked),
        )
      : runDeterministic(input, effective);

    const run = (existing?.runs ?? 0) + 1;
    const decision = result.decision;
    const proposal = decision.kind === 'ask' ? (existing?.proposal ?? null) : decision.ticket;
    const confidence =
      decision.kind === 'file' || decision.kind === 'duplicate' ? decision.confidence : null;
    await this.db.transaction(async (manager) => {
      await manager.getRepository(ReportTriage).upsert(
        {
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
        },
        ['reportId'],
      );
      if (result.trace.length) {
        const steps = manager.getRepository(AgentStep);
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
        await this.attachLookedUp(manager, report, looked[looked.length - 1], decision);
      }
      const known = (Object.entries(result.facts) as [FactKey, unknown][])
        .filter(([, fact]) => fact)
        .map(([key]) => key);
      const redacted = describeCounts(redactions);
      await this.pipeline.audit(
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
    };
  }

  /**
   * The Sentry issue the LLM engine found with its own lookups, kept as the report's match (so
   * the ticket shows it) when automatic matching attached none.
   */
  private async attachLookedUp(
    manager: EntityManager,
    report: Report,
    issue: SentryAttachment,
    decision: { confidence: number; reason: string },
  ): Promise<void> {
    const existing = await manager.getRepository(SentryMatch).findOneBy({ reportId: report.id });
    if (existing?.issue) return;
    const reasons = [`the triage agent looked it up: ${decision.reason}`];
    await manager.getRepository(SentryMatch).upsert(
      {
        reportId: report.id,
        projectId: report.projectId,
        status: 'matched',
        sentryIssueId: issue.id,
        score: decision.confidence,
        issue: { ...issue, score: decision.confidence, reasons },
        candidates: existing?.candidates ?? [],
        problem: existing?.problem ?? null,
      },
      ['reportId'],
    );
  }

  /** What the engines read about the report, redacted for the LLM and the ticket. */
  async input(
    report: Report,
    policy: AgentPolicy,
  ): Promise<{ input: TriageInput; redactions: RedactionCounts }> {
    const recording = await this.db.getRepository(Recording).findOneBy({ reportId: report.id });
    const match = await this.db.getRepository(SentryMatch).findOneBy({ reportId: report.id });
    const messages = await this.conversation.messages(report.id);
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
      {
        analysis: recording && recording.status !== 'refused' ? recording.analysis : null,
        sentryIssue: match?.issue ?? null,
        conversation: conversationTurns(messages),
      },
      policy,
    );
  }

  /** The LLM's lookups: Sentry (when configured) and the open issues dedupe searches. */
  private toolHost(
    projectId: string,
    input: TriageInput,
    looked: SentryAttachment[],
  ): AgentToolHost {
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
      searchSimilarIssues: async (query) => redact(await this.dedupe.similar(projectId, query)),
    };
  }
}
