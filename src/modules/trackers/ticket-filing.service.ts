import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Project } from '../projects/entities/project.entity';
import { ProjectsService } from '../projects/projects.service';
import type { Report } from '../reports/entities/report.entity';
import type { SentryAttachment } from '../sentry/sentry-attachment';
import { RetryLaterError } from '../../queue/retry-later.error';
import { ReportTicket } from './entities/report-ticket.entity';
import { TicketAccount } from './entities/ticket-account.entity';
import { Ticket, type TicketPriority } from './entities/ticket.entity';
import { upsertMirroredIssue } from './mirror/mirror-store';
import { accountKeyOf, customerOf } from './ticket-customer';
import { type TicketDraft, type TrackerAdapter, TrackerError, type TrackerIssue } from './tracker';
import { TrackerRegistry } from './tracker-registry';

/** A rate limit that names no reset time is waited out this long. */
const RATE_LIMIT_DEFAULT_WAIT_MS = 60_000;
/** A destination that refuses us is tried again this often, until someone fixes it. */
const MISCONFIGURED_WAIT_MS = 5 * 60_000;

/** What `deliver` made on the tracker, for `record` to keep. */
export interface Delivered {
  provider: Project['trackerProvider'];
  issue: TrackerIssue;
  draft: TicketDraft;
  /** The priority the draft carries, with what it was decided from (kept on the ticket). */
  priority: TicketPriority | null;
}

/**
 * Delivers a composed ticket to the project's tracker, exactly once however often it is retried
 * or interrupted, and records it (ticket, mirror, report link) in the pipeline's transaction.
 */
@Injectable()
export class TicketFilingService {
  constructor(
    private readonly registry: TrackerRegistry,
    private readonly projects: ProjectsService,
  ) {}

  /**
   * Creates the issue, or finds the one a previous attempt created before it died, and links
   * its evidence and customer.
   */
  async deliver(
    project: Project,
    report: Report,
    draft: TicketDraft,
    evidence: { replayUrl: string | null; sentryIssue: SentryAttachment | null },
    priority: TicketPriority | null = null,
  ): Promise<Delivered> {
    const tracker = this.registry.forProject(project);
    let issue: TrackerIssue;
    try {
      issue =
        (await tracker.findByReport(project, report.id)) ??
        (await tracker.createIssue(project, draft));
      await this.linkExtras(tracker, issue, report, evidence.replayUrl, evidence.sentryIssue);
    } catch (error) {
      throw await this.vendorFailure(project, tracker.provider, error);
    }
    if (project.trackerError) await this.projects.setTrackerError(project.id, null);
    return { provider: tracker.provider, issue, draft, priority };
  }

  /** Keeps the delivered ticket: its row, its mirror entry, the report's link and account. */
  async record(manager: EntityManager, report: Report, delivered: Delivered): Promise<void> {
    const { provider, issue, draft, priority } = delivered;
    const ticketId = await this.upsertTicket(manager, report.projectId, provider, issue, priority);
    // Into the open-issue mirror at once, so the next report of this bug finds it. The epoch
    // timestamp means "insert if absent": any sync or webhook news about the issue wins.
    await upsertMirroredIssue(manager, report.projectId, provider, {
      externalId: issue.externalId,
      key: issue.key,
      url: issue.url,
      title: issue.title,
      body: draft.body,
      state: issue.state,
      open: true,
      labels: draft.labels,
      remoteUpdatedAt: new Date(0),
    });
    await manager
      .createQueryBuilder()
      .insert()
      .into(ReportTicket)
      .values({ reportId: report.id, ticketId, relation: 'created' })
      .orIgnore()
      .execute();
    // The reporting account is on the ticket already: its later duplicates add no comment.
    await manager
      .createQueryBuilder()
      .insert()
      .into(TicketAccount)
      .values({
        ticketId,
        accountKey: accountKeyOf(report),
        reportId: report.id,
        announcedAt: new Date(),
      })
      .orIgnore()
      .execute();
  }

  /** The replay link and the customer, for trackers that hold them; idempotent, so retried freely. */
  private async linkExtras(
    tracker: TrackerAdapter,
    issue: TrackerIssue,
    report: Report,
    replayUrl: string | null,
    sentryIssue: SentryAttachment | null,
  ): Promise<void> {
    const links = [
      replayUrl && { url: replayUrl, title: 'Repro replay (moment of failure)' },
      sentryIssue && {
        url: sentryIssue.permalink,
        title: `Sentry ${sentryIssue.shortId}: ${sentryIssue.title}`.slice(0, 250),
      },
    ].filter((l): l is { url: string; title: string } => !!l);
    if (tracker.linkEvidence && links.length) await tracker.linkEvidence(issue, links);
    const customer = customerOf(report);
    if (tracker.linkReportCustomer && customer)
      await tracker.linkReportCustomer(issue, customer, report.id);
  }

  /**
   * What a tracker's failure means for the job: a rate limit or refused credentials make it wait
   * (the destination is flagged so operators see it) without using up its attempts; anything
   * else is retried with backoff.
   */
  private async vendorFailure(
    project: Project,
    provider: string,
    error: unknown,
  ): Promise<unknown> {
    if (!(error instanceof TrackerError)) return error;
    switch (error.code) {
      case 'RATE_LIMITED':
        return new RetryLaterError(
          error.retryAfterMs ?? RATE_LIMIT_DEFAULT_WAIT_MS,
          `${provider} rate limit: ${error.message}`,
        );
      case 'UNAUTHORIZED':
      case 'NOT_FOUND': {
        const problem = `${provider} ${error.code === 'UNAUTHORIZED' ? 'refused our credentials' : 'has no such destination'}: ${error.message}`;
        await this.projects.setTrackerError(project.id, problem);
        return new RetryLaterError(MISCONFIGURED_WAIT_MS, problem);
      }
      case 'TEMPORARY':
        return error;
    }
  }

  private async upsertTicket(
    manager: EntityManager,
    projectId: string,
    provider: Project['trackerProvider'],
    issue: TrackerIssue,
    priority: TicketPriority | null,
  ): Promise<string> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(Ticket)
      .values({
        projectId,
        provider,
        externalId: issue.externalId,
        key: issue.key,
        url: issue.url,
        title: issue.title,
        state: issue.state,
        // A ticket row already there keeps its own priority: only duplicates raise it.
        priority: priority as QueryDeepPartialEntity<TicketPriority> | null,
      })
      .orUpdate(
        ['key', 'url', 'title', 'state', 'updated_at'],
        ['project_id', 'provider', 'external_id'],
      )
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[])[0].id;
  }
}
