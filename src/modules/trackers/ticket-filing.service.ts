import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Report } from '../reports/entities/report.entity';
import { PipelineService } from '../pipeline/pipeline.service';
import { Project } from '../projects/entities/project.entity';
import { RecordingsService } from '../recordings/recordings.service';
import type { Recording } from '../recordings/entities/recording.entity';
import { ReplayLinksService } from '../replay/replay-links.service';
import { ProjectsService } from '../projects/projects.service';
import type { SentryAttachment } from '../sentry/sentry-attachment';
import { SentryMatch } from '../sentry/entities/sentry-match.entity';
import { RetryLaterError } from '../../queue/retry-later.error';

/** A rate limit that names no reset time is waited out this long. */
const RATE_LIMIT_DEFAULT_WAIT_MS = 60_000;
/** A destination that refuses us is tried again this often, until someone fixes it. */
const MISCONFIGURED_WAIT_MS = 5 * 60_000;
import { ReportTicket } from './entities/report-ticket.entity';
import { ReportTriage } from '../triage/entities/report-triage.entity';
import { keptEmails, resolvePolicy } from '../projects/policy';
import { redactAnalysis } from '../triage/engine/triage-input';
import { redactDeep } from '../../privacy/redaction';
import { upsertMirroredIssue } from './mirror/mirror-store';
import { TicketAccount } from './entities/ticket-account.entity';
import { Ticket } from './entities/ticket.entity';
import { renderTicketBody } from '../triage/engine/ticket/ticket-body';
import { accountKeyOf, customerOf } from './ticket-customer';
import { ticketTitle } from '../triage/engine/ticket/ticket-title';
import { type TicketDraft, type TrackerAdapter, TrackerError, type TrackerIssue } from './tracker';
import { TrackerRegistry } from './tracker-registry';

/** Files a report as a new ticket, exactly once however often it is retried or interrupted. */
@Injectable()
export class TicketFilingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: TrackerRegistry,
    private readonly pipeline: PipelineService,
    private readonly recordings: RecordingsService,
    private readonly replayLinks: ReplayLinksService,
    private readonly projects: ProjectsService,
  ) {}

  async fileNew(reportId: string): Promise<void> {
    const report = await this.db.getRepository(Report).findOneOrFail({
      where: { id: reportId },
      relations: { reporter: true, account: true },
    });
    const project = await this.db.getRepository(Project).findOneByOrFail({ id: report.projectId });
    const tracker = this.registry.forProject(project);

    // Look before creating: a previous attempt may have created the issue and then died
    // before recording it here.
    // Read once: the draft and the evidence links both need the recording and its replay link.
    const recording = await this.recordings.findForReport(report.id);
    const replayUrl = await this.replayLinks.linkAtFailure(report.id, recording);
    const sentryIssue =
      (await this.db.getRepository(SentryMatch).findOneBy({ reportId: report.id }))?.issue ?? null;
    const triage = await this.db.getRepository(ReportTriage).findOneBy({ reportId: report.id });
    const keepEmails = keptEmails(resolvePolicy(project.agentPolicy), report.reporter?.email);
    const draft = this.draft(report, recording, replayUrl, sentryIssue, triage, keepEmails);
    let issue: TrackerIssue;
    try {
      issue =
        (await tracker.findByReport(project, report.id)) ??
        (await tracker.createIssue(project, draft));
      await this.linkExtras(tracker, issue, report, replayUrl, sentryIssue);
    } catch (error) {
      throw await this.vendorFailure(project, tracker.provider, error);
    }
    if (project.trackerError) await this.projects.setTrackerError(project.id, null);

    await this.db.transaction(async (manager) => {
      const ticketId = await this.upsertTicket(manager, project, tracker.provider, issue);
      // Into the open-issue mirror at once, so the next report of this bug finds it. The epoch
      // timestamp means "insert if absent": any sync or webhook news about the issue wins.
      await upsertMirroredIssue(manager, project.id, tracker.provider, {
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
      await this.pipeline.transition(
        report.id,
        'filing',
        'filed',
        'file',
        `Filed as ${issue.key}`,
        { provider: tracker.provider, key: issue.key, url: issue.url },
        manager,
      );
    });
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

  private draft(
    report: Report,
    recording: Recording | null,
    replayUrl: string | null,
    sentryIssue: SentryAttachment | null,
    triage: ReportTriage | null,
    keepEmails: string[],
  ): TicketDraft {
    const kept = recording && recording.status !== 'refused';
    // Everything free-form that reaches the tracker is redacted first (see redaction.ts).
    const clean = <T>(value: T): T => redactDeep(value, { keepEmails }).value;
    const description = clean(report.description);
    const analysis = recording?.analysis
      ? redactAnalysis(recording.analysis, { keepEmails }).value
      : null;
    const body = renderTicketBody({
      reportId: report.id,
      // The reporter's free text is redacted before it reaches the tracker.
      description,
      proposal: triage?.proposal ?? null,
      facts: triage?.facts ?? null,
      pageUrl: report.pageUrl ? clean(report.pageUrl) : null,
      pageTitle: report.pageTitle,
      userAgent: report.userAgent,
      client: report.client,
      sentry: report.sentry,
      reporter: report.reporter
        ? {
            name: report.reporter.name,
            email: report.reporter.email,
            externalId: report.reporter.externalId,
          }
        : null,
      account: report.account
        ? {
            name: report.account.name,
            externalId: report.account.externalId,
            tier: report.account.tier,
            revenue: report.account.revenue,
            crmUrl: report.account.crmUrl,
          }
        : null,
      recording: kept
        ? { eventCount: recording.eventCount, durationMs: recording.durationMs }
        : null,
      recordingRefused: recording?.status === 'refused' ? recording.refusedReason : null,
      analysis,
      replayUrl,
      sentryIssue: sentryIssue ? clean(sentryIssue) : null,
    });
    return {
      reportId: report.id,
      title: triage?.proposal?.title ?? ticketTitle(description, analysis),
      body,
      labels: ['bug'],
      severity: triage?.proposal?.severity,
      accountName: report.account?.name ?? report.account?.externalId ?? null,
    };
  }

  private async upsertTicket(
    manager: DataSource['manager'],
    project: Project,
    provider: Project['trackerProvider'],
    issue: TrackerIssue,
  ): Promise<string> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(Ticket)
      .values({
        projectId: project.id,
        provider,
        externalId: issue.externalId,
        key: issue.key,
        url: issue.url,
        title: issue.title,
        state: issue.state,
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
