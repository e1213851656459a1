import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { RetryLaterError } from '../../queue/retry-later.error';
import { Report } from '../intake/entities/report.entity';
import { JobName } from '../../queue/queue.constants';
import { PipelineService } from '../pipeline/pipeline.service';
import { Recording } from '../recordings/entities/recording.entity';
import { SentryMatch } from '../sentry/entities/sentry-match.entity';
import { DuplicateActionsService } from '../trackers/duplicate-actions.service';
import { ReportTicket } from '../trackers/entities/report-ticket.entity';
import { Ticket } from '../trackers/entities/ticket.entity';
import { TrackerIssueRow } from '../trackers/entities/tracker-issue.entity';
import { ticketTitle } from '../trackers/ticket-title';
import { CandidateSearch, type DedupeQuery } from './candidate-search';
import { decide, type Decision, rankCandidates, type ScoredCandidate } from './dedupe-scorer';
import { DedupeResult } from './entities/dedupe-result.entity';
import { ReportSignal } from './entities/report-signal.entity';
import { reportSignals } from './report-signals';
import { SEMANTIC_TOP, SemanticReranker } from './semantic-reranker.service';

/** Candidates kept with the report and shown to people. */
const KEPT = 5;
/** How often a report waits for an earlier report of the same bug to get its ticket. */
const WAIT_FOR_EARLIER_MS = 5_000;

/**
 * Decides whether a report is a new bug, a duplicate of an open ticket (merged automatically),
 * or possibly one (a person confirms), stores why, and acts on it.
 */
@Injectable()
export class DedupeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly pipeline: PipelineService,
    private readonly duplicates: DuplicateActionsService,
    private readonly semantic: SemanticReranker,
  ) {}

  /** Stores the report's structured signals (analysis time), so later reports find it cheaply. */
  async storeSignals(reportId: string): Promise<void> {
    const { report, query } = await this.load(reportId);
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

  /** The dedupe stage: decide, store the decision with its candidates, act. */
  async run(reportId: string): Promise<void> {
    const { report, query } = await this.load(reportId);
    const search = new CandidateSearch(this.db);
    const terms = await search.terms(report.projectId, query.title, query.body);
    const issues = await search.issues(report.projectId, query, terms);
    const reports = (
      await search.reports(report.projectId, query, terms, { excludeReportId: report.id })
    ).filter((c) => c.id !== report.id);
    // Only earlier reports count: two reports of one bug arriving together must not wait on each other.
    const earlier = await this.earlierReports(
      report,
      reports.map((r) => r.id),
    );
    const features = [...issues, ...reports.filter((r) => earlier.has(r.id))];
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
          features.filter((f) => top.has(f.id)),
        );
      } catch (error) {
        // Meaning is a refinement: without it the lexical and structural ranking stands.
        semanticNote = `semantic re-ranking skipped: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const ranked = rankCandidates(terms, features, kinds).slice(0, KEPT);
    const thresholds = {
      duplicate: this.config.DEDUPE_DUPLICATE_THRESHOLD,
      possible: this.config.DEDUPE_POSSIBLE_THRESHOLD,
    };
    const best = ranked[0];
    const decision = decide(best, thresholds);
    await this.db.getRepository(DedupeResult).upsert(
      {
        reportId,
        projectId: report.projectId,
        decision,
        score: best?.score ?? null,
        candidates: ranked,
      },
      ['reportId'],
    );

    switch (decision) {
      case 'duplicate':
        return this.merge(report, best);
      case 'possible_duplicate':
        await this.pipeline.transition(
          report.id,
          'deduping',
          'needs_human',
          'dedupe',
          `Possibly a duplicate: ${describe(best)}; a person confirms`,
          details(decision, ranked, semanticNote),
        );
        return;
      case 'new':
        if (
          await this.pipeline.transition(
            report.id,
            'deduping',
            'filing',
            'dedupe',
            best
              ? `A new bug: the closest candidate, ${describe(best)}, is below ${thresholds.possible}`
              : 'A new bug: no similar open issue or report',
            details(decision, ranked, semanticNote),
          )
        ) {
          await this.pipeline.enqueue(JobName.FileTicket, report.id);
        }
    }
  }

  private async merge(report: Report, best: ScoredCandidate): Promise<void> {
    const reason = `${describe(best)}`;
    if (best.kind === 'issue') {
      const ticketId = await this.ticketForIssue(best.id);
      return this.duplicates.mergeIntoTicket(report.id, ticketId, reason);
    }
    // An earlier report of the same bug still in the pipeline: merge into its ticket once it has one.
    const link = await this.db.getRepository(ReportTicket).findOneBy({ reportId: best.id });
    if (link) return this.duplicates.mergeIntoTicket(report.id, link.ticketId, reason);
    const other = await this.db.getRepository(Report).findOneByOrFail({ id: best.id });
    if (other.status === 'needs_human' || other.status === 'failed') {
      // Nobody knows yet where the earlier report goes: a person decides for both.
      await this.pipeline.transition(
        report.id,
        'deduping',
        'needs_human',
        'dedupe',
        `Same bug as report ${other.id}, which is ${other.status === 'failed' ? 'failed' : 'waiting for a person'}: ${reason}`,
        details('duplicate', [best]),
      );
      return;
    }
    throw new RetryLaterError(
      WAIT_FOR_EARLIER_MS,
      `Same bug as report ${other.id} (${reason}); waiting for its ticket`,
    );
  }

  /** The Ticket row for a mirrored issue, made on first use (issues people filed have none). */
  private async ticketForIssue(issueRowId: string): Promise<string> {
    const issue = await this.db.getRepository(TrackerIssueRow).findOneByOrFail({ id: issueRowId });
    const result = await this.db
      .createQueryBuilder()
      .insert()
      .into(Ticket)
      .values({
        projectId: issue.projectId,
        provider: issue.provider,
        externalId: issue.externalId,
        key: issue.key,
        url: issue.url,
        title: issue.title,
        state: issue.state,
      })
      .orUpdate(['state', 'updated_at'], ['project_id', 'provider', 'external_id'])
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[])[0].id;
  }

  private async earlierReports(report: Report, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM reports WHERE id = ANY($1::uuid[])
         AND (created_at, id) < ($2::timestamptz, $3::uuid)`,
      [ids, report.createdAt, report.id],
    );
    return new Set(rows.map((r) => r.id));
  }

  private async load(reportId: string): Promise<{ report: Report; query: DedupeQuery }> {
    const report = await this.db.getRepository(Report).findOneByOrFail({ id: reportId });
    const recording = await this.db.getRepository(Recording).findOneBy({ reportId });
    const analysis = recording && recording.status !== 'refused' ? recording.analysis : null;
    const sentry = await this.db.getRepository(SentryMatch).findOneBy({ reportId });
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
        title: [...new Set([ticketTitle(report.description, analysis), first.trim()])].join(' '),
        body: [rest.join('\n'), ...evidence].filter(Boolean).join('\n'),
        signals,
      },
    };
  }
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
