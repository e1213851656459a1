import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { RetryLaterError } from '../../queue/retry-later.error';
import { templatePath } from '../../common/signals/route-template';
import { TriagePolicyService } from '../projects/triage-policy.service';
import { allows, approvalNeeded, type TriagePolicy } from '../projects/policy';
import { RecordingsService } from '../recordings/recordings.service';
import type { Report } from '../reports/entities/report.entity';
import { ReportsService } from '../reports/reports.service';
import type { RecordingAnalysis } from '../recordings/analyzer/types';
import type { SentryAttachment } from '../sentry/sentry-attachment';
import { SentryMatchingService } from '../sentry/sentry-matching.service';
import { TicketsService } from '../trackers/tickets.service';
import type { SimilarIssue } from '../triage/engine/triage.types';
import { ticketTitle } from '../triage/engine/ticket/ticket-title';
import type { ReportTriage } from '../triage/entities/report-triage.entity';
import { TriageService } from '../triage/triage.service';
import { CandidateSearch, type DedupeQuery } from './candidate-search';
import { withoutIdentifiers } from './identifiers';
import {
  asTickets,
  decide,
  type Decision,
  rankCandidates,
  type ScoredCandidate,
} from './dedupe-scorer';
import { DedupeResult } from './entities/dedupe-result.entity';
import { ReportSignal } from './entities/report-signal.entity';
import { reportSignals } from './report-signals';
import { SEMANTIC_TOP, SemanticReranker } from './semantic-reranker.service';
import type { Project } from '../projects/entities/project.entity';

/**
 * What dedupe found, for the pipeline to act on: file a new ticket, merge into an existing one,
 * or hand the report to a person. Waiting (for an earlier report) is a RetryLaterError.
 */
export type DedupeOutcome =
  | { kind: 'new'; reason: string; details: Record<string, unknown> }
  | { kind: 'merge'; ticketId: string; reason: string }
  | {
      kind: 'person';
      stage: 'dedupe' | 'policy';
      reason: string;
      details: Record<string, unknown>;
    };

/** Candidates kept with the report and shown to people. */
const KEPT = 5;
/** How often a report waits for an earlier report from the same page to finish analysis. */
const WAIT_FOR_ANALYSIS_MS = 2_000;
/**
 * A report waits for an earlier one (in analysis, or not decided yet) only until this long after
 * the earlier one arrived, measured from now: longer is stuck, not slow, and nobody waits for it.
 */
const WAIT_WINDOW_MS = 2 * 60_000;
/** How often a report waits for an earlier report of the same bug to get its ticket. */
const WAIT_FOR_EARLIER_MS = 5_000;

/** What a caller already read about a report: its people, stored analysis and Sentry issue. */
export interface KnownEvidence {
  report: Report;
  analysis: RecordingAnalysis | null;
  sentryIssue: SentryAttachment | null;
  /** Read here when absent. */
  project?: Project;
  /** The report's triage record as the agent's run stored it; read here when absent. */
  triage?: ReportTriage | null;
}

/**
 * Decides whether a report is a new bug, a duplicate of an open ticket (merged automatically),
 * or possibly one (a person confirms), and stores why. The pipeline acts on the outcome.
 */
@Injectable()
export class DedupeService {
  /** Per project, the decision running or queued last in this process (see `alone`). */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly reports: ReportsService,
    private readonly recordings: RecordingsService,
    private readonly sentry: SentryMatchingService,
    private readonly tickets: TicketsService,
    private readonly triage: TriageService,
    private readonly semantic: SemanticReranker,
    private readonly policies: TriagePolicyService,
  ) {}

  /** The decision stored for a report, with its candidates; null before dedupe ran. */
  result(reportId: string): Promise<DedupeResult | null> {
    return this.db.getRepository(DedupeResult).findOneBy({ reportId });
  }

  /**
   * Stores the report's structured signals (analysis time), so later reports find it cheaply.
   * `known` is what the analysis stage already has, so none of it is read again.
   */
  async storeSignals(reportId: string, known?: KnownEvidence): Promise<void> {
    const { report, query } = await this.load(reportId, known);
    if (!query.signals.length) return;
    await this.db
      .createQueryBuilder()
      .insert()
      .into(ReportSignal)
      .values(
        query.signals.map((s) => ({
          reportId,
          projectId: report.projectId,
          kind: s.kind,
          value: s.value,
        })),
      )
      .orIgnore()
      .execute();
  }

  /** Open issues like `text`, best first: the agent's search_similar_issues. */
  async similar(projectId: string, text: string, limit = 8): Promise<SimilarIssue[]> {
    const [first, ...rest] = text.trim().split(/\r?\n/);
    const query: DedupeQuery = { title: first ?? '', body: rest.join('\n'), signals: [] };
    const search = new CandidateSearch(this.db);
    const terms = await search.terms(projectId, query.title, query.body);
    const issues = await search.issues(projectId, query, terms);
    return rankCandidates(terms, issues, [])
      .slice(0, limit)
      .map((c) => ({
        key: c.key ?? c.id,
        title: c.title,
        url: c.url,
        score: Number(c.score.toFixed(3)),
        reasons: c.reasons,
      }));
  }

  /** The dedupe stage: decide, and store the decision with its candidates. */
  /** `known` is what the caller read or found just before; whatever is missing is read here. */
  async run(reportId: string, known?: Partial<KnownEvidence>): Promise<DedupeOutcome> {
    const { report, query } = await this.load(reportId, known);
    const analysing = await this.earlierStillAnalysing(report);
    if (analysing) {
      // Two reports of one bug arriving together: the later one decides once the earlier one's
      // evidence (its signals) is stored, or it could miss it and open a second ticket.
      throw new RetryLaterError(
        WAIT_FOR_ANALYSIS_MS,
        `Report ${analysing} from the same page arrived just before and is still being analysed; waiting for its evidence`,
      );
    }
    const triage = known?.triage !== undefined ? known.triage : await this.triage.record(reportId);
    const policy = await this.policies.forProject(report.projectId, known?.project);
    if (triage?.decision?.kind === 'duplicate') {
      const outcome = await this.agentDuplicate(report, triage, policy);
      if (outcome) return outcome;
    }
    // Decided before to follow a report that will become a ticket: only its ticket is awaited.
    const followed = allows(policy, 'mark_duplicate') ? await this.followed(report) : null;
    if (followed) return this.merge(report, followed);
    const { ranked, decision, semanticNote } = await this.decide(report, query);
    const best = ranked[0];
    const thresholds = {
      duplicate: this.config.DEDUPE_DUPLICATE_THRESHOLD,
      possible: this.config.DEDUPE_POSSIBLE_THRESHOLD,
    };

    switch (decision) {
      case 'duplicate':
        if (!allows(policy, 'mark_duplicate')) {
          return person(
            'policy',
            `A duplicate of ${describe(best)}, but the policy does not let the agent merge alone`,
            details(decision, ranked, semanticNote),
          );
        }
        return this.merge(report, best);
      case 'possible_duplicate':
        return person(
          'dedupe',
          `Possibly a duplicate: ${describe(best)}; a person confirms`,
          details(decision, ranked, semanticNote),
        );
      case 'new': {
        const gate = this.approvalGate(triage, policy, report);
        if (gate) {
          return person('policy', `${gate}; the proposed ticket waits for a person`, {
            ...details(decision, ranked, semanticNote),
            proposal: triage?.proposal ?? null,
          });
        }
        return {
          kind: 'new',
          reason: best
            ? `A new bug: the closest candidate, ${describe(best)}, is below ${thresholds.possible}`
            : 'A new bug: no similar open issue or report',
          details: details(decision, ranked, semanticNote),
        };
      }
    }
  }

  /**
   * Searches, ranks and records the decision while no other report of the project decides, so
   * of two reports of one bug in flight together the later one to decide sees the earlier one
   * (filed, in flight having decided to become a ticket, or arrived before it and undecided).
   */
  private async decide(
    report: Report,
    query: DedupeQuery,
  ): Promise<{ ranked: ScoredCandidate[]; decision: Decision; semanticNote: string | null }> {
    // All of a project's decisions wait for its turn, so the search runs before it: the words'
    // weights, the open issues and the reports (the costly part). In the turn only those reports
    // are read again (their decisions may have changed) with those decided since `mark`, read
    // before the search. An issue filed meanwhile is found through its report; one that reached
    // the tracker another way a moment later is no different from one that came just after.
    const outside = new CandidateSearch(this.db);
    const terms = await outside.terms(report.projectId, query.title, query.body);
    const issues = await outside.issues(report.projectId, query, terms);
    const mark = await outside.decisionMark(report.projectId);
    const before = await outside.reports(report.projectId, query, terms, report, WAIT_WINDOW_MS);
    return this.alone(report.projectId, async (manager) => {
      const search = outside.on(manager);
      const reports = await search.reports(report.projectId, query, terms, report, WAIT_WINDOW_MS, {
        ids: before.map((r) => r.id),
        since: mark,
      });
      // A filed report whose ticket is among the issues is that ticket (see asTickets).
      const found = new Set(issues.map((i) => i.id));
      const issueOf = new Map(
        reports.filter((r) => r.issueId && found.has(r.issueId)).map((r) => [r.id, r.issueId!]),
      );
      const features = [...issues, ...reports];
      const kinds = [...new Set(query.signals.map((q) => q.kind))];
      let semanticNote: string | null = null;
      if (this.semantic.enabled) {
        const top = new Set(
          rankCandidates(terms, features, kinds)
            .slice(0, SEMANTIC_TOP)
            .map((c) => c.id),
        );
        try {
          await this.semantic.annotate(
            { kind: 'report', id: report.id, text: report.description },
            features.filter((f) => top.has(f.id) && !issueOf.has(f.id)),
          );
        } catch (error) {
          // Meaning is a refinement: without it the lexical and structural ranking stands.
          semanticNote = `semantic re-ranking skipped: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      const ranked = asTickets(rankCandidates(terms, features, kinds), issueOf).slice(0, KEPT);
      const decision = decide(ranked[0], {
        duplicate: this.config.DEDUPE_DUPLICATE_THRESHOLD,
        possible: this.config.DEDUPE_POSSIBLE_THRESHOLD,
      });
      // Numbered again when decided again, so the next turns see it as decided since their mark.
      await manager.query(
        `INSERT INTO dedupe_results (report_id, project_id, decision, score, candidates)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (report_id) DO UPDATE SET decision = EXCLUDED.decision,
           score = EXCLUDED.score, candidates = EXCLUDED.candidates,
           decided_seq = nextval('dedupe_decided_seq'), updated_at = now()`,
        [report.id, report.projectId, decision, ranked[0]?.score ?? null, JSON.stringify(ranked)],
      );
      return { ranked, decision, semanticNote };
    });
  }

  /**
   * Runs `work` in a transaction holding the project's dedupe lock (a PostgreSQL advisory lock,
   * so across worker processes) until it commits. In this process the project's decisions also
   * queue here first, so that waiting for the lock holds no database connection.
   */
  private async alone<T>(
    projectId: string,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const before = this.turns.get(projectId) ?? Promise.resolve();
    let done!: () => void;
    const mine = before.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.turns.set(projectId, mine);
    await before;
    try {
      return await this.db.transaction(async (manager) => {
        // The next decision waits for this commit to be visible, not flushed: the pipeline's
        // next status change commits synchronously and flushes it with it, and a crash before
        // that runs this stage again. (SET LOCAL, as one statement with the lock.)
        await manager.query(
          `SELECT pg_advisory_xact_lock(hashtextextended($1, 0)),
                  set_config('synchronous_commit', 'off', true)`,
          [`repro:dedupe:${projectId}`],
        );
        return work(manager);
      });
    } finally {
      done();
      if (this.turns.get(projectId) === mine) this.turns.delete(projectId);
    }
  }

  /**
   * The report this one decided before to duplicate, when that report has decided to become a
   * ticket: waiting for its ticket needs no new decision. Null otherwise.
   */
  private async followed(report: Report): Promise<ScoredCandidate | null> {
    const previous = await this.result(report.id);
    const best = previous?.decision === 'duplicate' ? previous.candidates[0] : undefined;
    if (best?.kind !== 'report') return null;
    return (await this.result(best.id))?.decision === 'new' ? best : null;
  }

  /** Why filing this report as new needs a person first, per the project's policy; null when not. */
  private approvalGate(
    triage: ReportTriage | null,
    policy: TriagePolicy,
    report: Report,
  ): string | null {
    if (!triage?.proposal) return null;
    return approvalNeeded(
      policy,
      {
        kind: 'file',
        ticket: triage.proposal,
        confidence: triage.confidence ?? 0,
      },
      report.account?.tier ?? null,
    );
  }

  /**
   * The LLM engine named the ticket this report duplicates. Merged when that ticket is open in
   * the mirror and the policy allows it; otherwise a person decides. False when the key is
   * unknown: the usual search decides instead.
   */
  private async agentDuplicate(
    report: Report,
    triage: ReportTriage,
    policy: TriagePolicy,
  ): Promise<DedupeOutcome | null> {
    const decision = triage.decision;
    if (decision?.kind !== 'duplicate') return null;
    const issue = await this.tickets.openIssueByKey(report.projectId, decision.target);
    if (!issue) {
      await this.reports.audit({
        reportId: report.id,
        stage: 'dedupe',
        event: 'agent_duplicate_unknown',
        reason: `The agent named ${decision.target}, which is not an open issue; searching instead`,
      });
      return null;
    }
    const gate = approvalNeeded(policy, decision, report.account?.tier ?? null);
    const candidate = { kind: 'issue', key: issue.key, title: issue.title, url: issue.url };
    await this.db.getRepository(DedupeResult).upsert(
      {
        reportId: report.id,
        projectId: report.projectId,
        decision: gate ? 'possible_duplicate' : 'duplicate',
        score: decision.confidence,
        candidates: [
          {
            ...candidate,
            id: issue.id,
            score: decision.confidence,
            textScore: 0,
            reasons: [`the agent: ${decision.reason}`],
          } as ScoredCandidate,
        ],
      },
      ['reportId'],
    );
    if (gate) {
      return person(
        'policy',
        `The agent found a duplicate of ${issue.key}, but ${gate.charAt(0).toLowerCase()}${gate.slice(1)}`,
        { target: issue.key, proposal: triage.proposal },
      );
    }
    return {
      kind: 'merge',
      ticketId: await this.tickets.ticketForIssue(issue.id),
      reason: `the agent: ${decision.reason}`,
    };
  }

  private async merge(report: Report, best: ScoredCandidate): Promise<DedupeOutcome> {
    const reason = `${describe(best)}`;
    if (best.kind === 'issue') {
      return { kind: 'merge', ticketId: await this.tickets.ticketForIssue(best.id), reason };
    }
    // An earlier report of the same bug still in the pipeline: merge into its ticket once it has one.
    const ticketId = await this.tickets.ticketIdOf(best.id);
    if (ticketId) return { kind: 'merge', ticketId, reason };
    const other = await this.reports.get(best.id);
    if (other.status === 'needs_human' || other.status === 'failed') {
      // Nobody knows yet where the earlier report goes: a person decides for both.
      return person(
        'dedupe',
        `Same bug as report ${other.id}, which is ${other.status === 'failed' ? 'failed' : 'waiting for a person'}: ${reason}`,
        details('duplicate', [best]),
      );
    }
    throw new RetryLaterError(
      WAIT_FOR_EARLIER_MS,
      `Same bug as report ${other.id} (${reason}); waiting for its ticket`,
    );
  }

  /**
   * An earlier report from the same page (templated route) that is still being analysed and
   * arrived less than the window ago; null when there is none.
   */
  private async earlierStillAnalysing(report: Report): Promise<string | null> {
    const route = templatePath(report.pageUrl);
    if (!route) return null;
    const rows = await this.reports.arrivedJustBefore(
      report,
      ['received', 'analyzing'],
      WAIT_WINDOW_MS,
      50,
    );
    return rows.find((r) => templatePath(r.pageUrl) === route)?.id ?? null;
  }

  private async load(
    reportId: string,
    known: Partial<KnownEvidence> = {},
  ): Promise<{ report: Report; query: DedupeQuery }> {
    const report = known.report ?? (await this.reports.withPeople(reportId));
    let analysis = known.analysis;
    if (analysis === undefined) {
      const recording = await this.recordings.findForReport(reportId);
      analysis = recording && recording.status !== 'refused' ? recording.analysis : null;
    }
    const sentry =
      known.sentryIssue === undefined
        ? await this.sentry.find(reportId)
        : { issue: known.sentryIssue };
    const signals = reportSignals({
      analysis,
      pageUrl: report.pageUrl,
      sentryIssue: sentry?.issue ? { id: sentry.issue.id, shortId: sentry.issue.shortId } : null,
    });
    const [first, ...rest] = report.description.trim().split(/\r?\n/);
    const evidence = [
      ...(analysis?.errors.map((e) => e.message) ?? []),
      ...(analysis?.failedRequests.map((r) => `${r.method} ${r.url} ${r.status}`) ?? []),
      sentry?.issue?.title ?? '',
    ];
    return {
      report,
      query: {
        // The title the ticket would get, and the reporter's own first line, both count as title.
        // Without ids (reference codes, request ids): every report of a bug has its own.
        title: withoutIdentifiers(
          [...new Set([ticketTitle(report.description, analysis), first.trim()])].join(' '),
        ),
        body: withoutIdentifiers([rest.join('\n'), ...evidence].filter(Boolean).join('\n')),
        signals,
      },
    };
  }
}

function person(
  stage: 'dedupe' | 'policy',
  reason: string,
  details: Record<string, unknown>,
): DedupeOutcome {
  return { kind: 'person', stage, reason, details };
}

function describe(c: ScoredCandidate): string {
  const name = c.kind === 'issue' ? (c.key ?? c.title) : `report "${c.title}"`;
  return `${name} (score ${c.score.toFixed(2)}: ${c.reasons.join('; ')})`;
}

function details(
  decision: Decision,
  ranked: ScoredCandidate[],
  semanticNote: string | null = null,
): Record<string, unknown> {
  return {
    decision,
    ...(semanticNote ? { semantic: semanticNote } : {}),
    candidates: ranked.map((c) => ({
      kind: c.kind,
      id: c.id,
      key: c.key,
      title: c.title,
      score: c.score,
      reasons: c.reasons,
    })),
  };
}
