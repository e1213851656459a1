import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { templatePath } from '../../common/signals/route-template';
import type { Report } from '../reports/entities/report.entity';
import { ReportsService } from '../reports/reports.service';
import type { RecordingAnalysis } from '../recordings/analyzer/types';
import { RecordingsService } from '../recordings/recordings.service';
import { SentryMatch, type SentryMatchStatus } from './entities/sentry-match.entity';
import { SentryApiClient, SentryApiError, type TimeRange } from './sentry-api.client';
import type { SentryEventRow, SentryIssue } from './sentry-api.types';
import { buildAttachment, replayIdOf, type SentryAttachment } from './sentry-attachment';
import {
  type IssueFacts,
  type MatchEvidence,
  pickMatch,
  type ScoredCandidate,
  scoreCandidates,
  type Sighting,
  type SightingVia,
} from './sentry-matcher';

export const SENTRY_API_CLIENT = Symbol('SENTRY_API_CLIENT');

/** What the analyze stage writes in the audit log. */
export interface SentryMatchOutcome {
  status: SentryMatchStatus;
  reason: string;
  details: Record<string, unknown>;
  /** The issue attached, as `find` would now return it. */
  issue: SentryAttachment | null;
}

/** Candidates kept with the report for the dashboard and the audit log. */
const KEPT_CANDIDATES = 5;
/** Issues whose details are fetched to compare their titles, beyond those a search returned. */
const DETAILED_CANDIDATES = 5;
/** Events of a replay resolved to their issues. */
const REPLAY_ERRORS = 5;
/** A trace may start well before the report. */
const TRACE_LOOKBACK_MS = 24 * 3_600_000;
/** A recording whose end lies this far after the report was timed by a clock that is off. */
const CLOCK_SKEW_TOLERANCE_MS = 60_000;

/**
 * Finds the Sentry issue behind a report: explicit ids first, then the reporter's own events in
 * a window around the report, the recorded errors' text, and the page. Sentry failing never
 * stops a report: what could be found is kept, and why the rest could not is recorded.
 */
@Injectable()
export class SentryMatchingService {
  private readonly logger = new Logger(SentryMatchingService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(SENTRY_API_CLIENT) private readonly client: SentryApiClient | null,
    private readonly reports: ReportsService,
    private readonly recordings: RecordingsService,
  ) {}

  /**
   * Null when Sentry is not configured: the stage skips it without a word. `known` is what the
   * caller already read (the report with its people, the recording's stored analysis).
   */
  async match(
    reportId: string,
    known?: { report: Report; analysis: RecordingAnalysis | null },
  ): Promise<SentryMatchOutcome | null> {
    const client = this.client;
    if (!client) return null;
    const report = known?.report ?? (await this.reports.withPeople(reportId));
    const analysis = known
      ? known.analysis
      : ((await this.recordings.findForReport(reportId))?.analysis ?? null);
    const evidence = gatherEvidence(report, analysis);
    const search = new Search(client, evidence, this.window(evidence));

    await search.run();
    let candidates = scoreCandidates(evidence, search.facts(), search.sightings);
    // Issues found only through events: fetch the strongest ones' details to compare titles.
    await search.detail(
      candidates
        .filter((c) => c.shortId === null)
        .slice(0, DETAILED_CANDIDATES)
        .map((c) => c.issueId),
    );
    candidates = scoreCandidates(evidence, search.facts(), search.sightings);
    const { match } = pickMatch(candidates, this.config.SENTRY_MATCH_THRESHOLD);
    const attachment = match ? await search.attach(match) : null;
    const problem = search.problem;

    const status: SentryMatchStatus = attachment ? 'matched' : problem ? 'unavailable' : 'no_match';
    const kept = candidates.slice(0, KEPT_CANDIDATES);
    await this.db.getRepository(SentryMatch).upsert(
      {
        reportId,
        projectId: report.projectId,
        status,
        sentryIssueId: attachment?.id ?? null,
        score: attachment?.score ?? null,
        issue: attachment,
        candidates: kept,
        problem,
      },
      ['reportId'],
    );
    return {
      status,
      issue: attachment,
      reason: this.describe(status, attachment, kept, problem),
      details: {
        status,
        issueId: attachment?.id ?? null,
        shortId: attachment?.shortId ?? null,
        score: attachment?.score ?? null,
        threshold: this.config.SENTRY_MATCH_THRESHOLD,
        candidates: kept.map((c) => ({
          issueId: c.issueId,
          shortId: c.shortId,
          score: c.score,
          reasons: c.reasons,
        })),
        ...(problem ? { problem } : {}),
      },
    };
  }

  /** The match shown with a report and on its ticket; null before matching or when off. */
  async find(reportId: string): Promise<SentryMatch | null> {
    return this.db.getRepository(SentryMatch).findOneBy({ reportId });
  }

  /**
   * The Sentry issue the LLM engine found with its own lookups, kept as the report's match (so
   * the ticket shows it) when automatic matching attached none.
   */
  async attachLookedUp(
    manager: EntityManager,
    report: { id: string; projectId: string },
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

  private window(evidence: MatchEvidence): TimeRange {
    const anchor = evidence.reportedAt;
    return {
      start: new Date(anchor - this.config.SENTRY_MATCH_BEFORE_MINUTES * 60_000),
      end: new Date(anchor + this.config.SENTRY_MATCH_AFTER_MINUTES * 60_000),
    };
  }

  private describe(
    status: SentryMatchStatus,
    attachment: SentryAttachment | null,
    candidates: ScoredCandidate[],
    problem: string | null,
  ): string {
    const best = candidates[0];
    const bestText = best
      ? `best ${best.shortId ?? `issue ${best.issueId}`} at ${best.score}, threshold ${this.config.SENTRY_MATCH_THRESHOLD}`
      : 'no candidates';
    switch (status) {
      case 'matched':
        return `Matched Sentry issue ${attachment!.shortId} (score ${attachment!.score}): ${attachment!.reasons.join('; ')}`;
      case 'no_match':
        return `No Sentry issue matched (${bestText})`;
      case 'unavailable':
        return `Sentry unavailable (${problem}); going on without it (${bestText})`;
    }
  }
}

/** Mail can reach Repro long after the customer wrote it (a forward): it counts from then. */
const EMAIL_SENT_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

/** When the customer reported: a mail's sent time (src/modules/email), else the arrival. */
function reportedAtOf(report: Report): number {
  const arrived = report.createdAt.getTime();
  const email = (report.client as { email?: { sentAt?: unknown } } | null)?.email;
  const sent = typeof email?.sentAt === 'string' ? Date.parse(email.sentAt) : NaN;
  return Number.isFinite(sent) && sent <= arrived && arrived - sent <= EMAIL_SENT_MAX_AGE_MS
    ? sent
    : arrived;
}

/** What the report, its reporter and its recording say, before asking Sentry anything. */
export function gatherEvidence(report: Report, analysis: RecordingAnalysis | null): MatchEvidence {
  const reportedAt = reportedAtOf(report);
  let failureAt: number | null = null;
  if (analysis?.startedAt && analysis.failure) {
    // The customer's clock may be off: a recording cannot end after the report that carries it.
    const end = analysis.startedAt + analysis.stats.ms;
    const arrived = report.createdAt.getTime();
    const skew = end - arrived > CLOCK_SKEW_TOLERANCE_MS ? end - arrived : 0;
    failureAt = analysis.startedAt + analysis.failure.t - skew;
  }
  const urls = [
    analysis?.failure?.url,
    report.pageUrl,
    ...(analysis?.errors.map((e) => e.url) ?? []),
    analysis?.startUrl,
  ];
  const routes = [
    ...new Set(urls.map((u) => templatePath(u)).filter((r): r is string => !!r && r !== '/')),
  ];
  return {
    reportedAt,
    failureAt,
    explicit: { ...report.sentry },
    user: { email: report.reporter?.email ?? null, id: report.reporter?.externalId ?? null },
    errors: (analysis?.errors ?? [])
      .filter((e) => e.level === 'error')
      .map((e) => ({ message: e.message, stack: e.stack, uncaught: e.uncaught })),
    routes,
  };
}

const EVENT_FIELDS: (keyof SentryEventRow)[] = [
  'id',
  'issue.id',
  'issue',
  'title',
  'timestamp',
  'url',
  'transaction',
];

/**
 * One report's conversation with Sentry. Calls run strongest evidence first; the first failure
 * ends the conversation (a down or rate-limited Sentry would fail every later call too) and is
 * kept as the problem, with whatever was found before it.
 */
class Search {
  readonly sightings: Sighting[] = [];
  problem: string | null = null;
  private readonly issues = new Map<string, SentryIssue>();

  constructor(
    private readonly client: SentryApiClient,
    private readonly evidence: MatchEvidence,
    private readonly range: TimeRange,
  ) {}

  facts(): IssueFacts[] {
    return [...this.issues.values()].map((i) => ({
      id: i.id,
      shortId: i.shortId,
      title: i.title,
      culprit: i.culprit,
      metadata: i.metadata,
    }));
  }

  async run(): Promise<void> {
    const { explicit, user, errors, routes } = this.evidence;
    if (explicit.eventId) await this.step(() => this.byEventId(explicit.eventId!, 'event_id'));
    if (explicit.replayId) await this.step(() => this.byReplay(explicit.replayId!));
    if (explicit.traceId) await this.step(() => this.byTrace(explicit.traceId!));
    if (user.email)
      await this.step(() => this.byEvents(`user.email:${quote(user.email!)}`, 'user'));
    if (user.id) await this.step(() => this.byEvents(`user.id:${quote(user.id!)}`, 'user'));
    if (errors.length) await this.step(() => this.issuesInWindow());
    if (routes.length) {
      const pattern = `*${routes[0].replace(/:id/g, '*')}*`;
      await this.step(() => this.byEvents(`url:${quote(pattern)}`, 'url'));
    }
  }

  async detail(issueIds: string[]): Promise<void> {
    for (const id of issueIds) {
      await this.step(async () => {
        const issue = await this.client.getIssue(id);
        if (issue) this.issues.set(issue.id, issue);
      });
    }
  }

  /** The matched issue's details, its event, and the replay link, for the ticket. */
  async attach(match: ScoredCandidate): Promise<SentryAttachment | null> {
    let attachment: SentryAttachment | null = null;
    await this.step(async () => {
      const issue = (await this.client.getIssue(match.issueId)) ?? this.issues.get(match.issueId);
      if (!issue) return;
      const event =
        (match.eventId ? await this.client.getIssueEvent(issue.id, match.eventId) : null) ??
        (await this.client.latestEvent(issue.id));
      const replayId = this.evidence.explicit.replayId ?? replayIdOf(event);
      attachment = buildAttachment(
        match,
        issue,
        event,
        replayId ? this.client.replayUrl(replayId) : null,
      );
    });
    return attachment;
  }

  private async step(call: () => Promise<void>): Promise<void> {
    if (this.problem) return;
    try {
      await call();
    } catch (error) {
      this.problem =
        error instanceof SentryApiError
          ? error.message
          : `unexpected answer (${error instanceof Error ? error.message : String(error)})`;
    }
  }

  private async byEventId(eventId: string, via: SightingVia): Promise<void> {
    const found = await this.client.resolveEventId(eventId);
    if (!found) return;
    this.sightings.push({
      issueId: String(found.groupId),
      eventId: found.eventId,
      at: found.event?.dateCreated ? Date.parse(found.event.dateCreated) : null,
      via,
    });
  }

  private async byReplay(replayId: string): Promise<void> {
    const replay = await this.client.getReplay(replayId);
    for (const eventId of replay?.error_ids?.slice(0, REPLAY_ERRORS) ?? []) {
      await this.byEventId(eventId, 'replay');
    }
  }

  private async byTrace(traceId: string): Promise<void> {
    const range = {
      start: new Date(this.evidence.reportedAt - TRACE_LOOKBACK_MS),
      end: this.range.end,
    };
    const rows = await this.client.queryEvents({
      query: `trace:${quote(traceId)}`,
      range,
      fields: EVENT_FIELDS,
    });
    this.addRows(rows, 'trace');
  }

  private async byEvents(query: string, via: SightingVia): Promise<void> {
    const rows = await this.client.queryEvents({ query, range: this.range, fields: EVENT_FIELDS });
    this.addRows(rows, via);
  }

  private async issuesInWindow(): Promise<void> {
    const issues = await this.client.searchIssues({
      query: 'is:unresolved',
      range: this.range,
      limit: 50,
    });
    for (const issue of issues) this.issues.set(issue.id, issue);
  }

  private addRows(rows: SentryEventRow[], via: SightingVia): void {
    for (const row of rows) {
      const issueId = row['issue.id'];
      if (issueId === null || issueId === undefined) continue;
      this.sightings.push({
        issueId: String(issueId),
        eventId: row.id,
        at: row.timestamp ? Date.parse(row.timestamp) : null,
        via,
        url: row.url ?? null,
        transaction: row.transaction ?? null,
      });
    }
  }
}

/** A search value, quoted when it holds anything beyond plain characters. */
function quote(value: string): string {
  return /^[\w.@*:/-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}
