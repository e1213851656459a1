import type { Recording } from '../../../recordings/entities/recording.entity';
import type { Report } from '../../../reports/entities/report.entity';
import type { SentryAttachment } from '../../../sentry/sentry-attachment';
import { redactDeep } from '../../../../privacy/redaction';
import type { Severity } from '../../../../common/severity';
import { redactAnalysis } from '../triage-input';
import type { FactPicture, TicketProposal } from '../triage.types';
import type { Priority } from './priority';
import { type EmailImageLink, renderTicketBody, type TicketFacts } from './ticket-body';
import { ticketTitle } from './ticket-title';

/** What Repro asks a tracker to create. */
export interface TicketDraft {
  /** Carried as a hidden marker so a retried filing finds the ticket instead of making another. */
  reportId: string;
  title: string;
  /** Markdown. */
  body: string;
  labels: string[];
  /** The customer account's name, for trackers that label by account (GitHub). */
  accountName?: string | null;
  /** The agent's (or a person's) severity, for trackers with a priority field (Linear). */
  severity?: Severity;
  /**
   * The severity weighed with the account, the reports and Sentry (priority.ts), for Linear's
   * priority and GitHub's `priority: …` label; absent, trackers fall back to the severity.
   */
  priority?: Priority;
}

export interface DraftInput {
  /** With its reporter and account. */
  report: Report;
  recording: Recording | null;
  replayUrl: string | null;
  /** Signed links to the stored images of the mail the report came from (null: not looked up). */
  emailImages?: EmailImageLink[] | null;
  sentryIssue: SentryAttachment | null;
  proposal: TicketProposal | null;
  facts: FactPicture | null;
  /** Emails redaction keeps (the reporter's own, when the project's policy allows). */
  keepEmails: string[];
  /** Decided by the filing path (decidePriority); shown in the body and set on the tracker. */
  priority?: Priority | null;
}

function clientOf(report: Report, clean: <T>(value: T) => T): TicketFacts['client'] {
  const client = report.client as TicketFacts['client'];
  return client.email ? { ...client, email: clean(client.email) } : client;
}

/** The ticket for a report: the proposal's title, the body with its evidence, all redacted. */
export function composeDraft(input: DraftInput): TicketDraft {
  const {
    report,
    recording,
    replayUrl,
    emailImages,
    sentryIssue,
    proposal,
    facts,
    keepEmails,
    priority,
  } = input;
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
    proposal,
    facts,
    pageUrl: report.pageUrl ? clean(report.pageUrl) : null,
    pageTitle: report.pageTitle,
    userAgent: report.userAgent,
    // A mail's staff note, attachment names and HAR requests are free-form too (email reports).
    client: clientOf(report, clean),
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
    recording: kept ? { eventCount: recording.eventCount, durationMs: recording.durationMs } : null,
    recordingRefused: recording?.status === 'refused' ? recording.refusedReason : null,
    recordingUnusable:
      recording?.status === 'unusable' ? (recording.refusedReason ?? 'no reason recorded') : null,
    analysis,
    replayUrl,
    // Our own signed links, not customer text: not redacted (a signature may look like a secret).
    emailImages,
    sentryIssue: sentryIssue ? clean(sentryIssue) : null,
    priority,
  });
  return {
    reportId: report.id,
    title: proposal?.title ?? ticketTitle(description, analysis),
    body,
    labels: ['bug'],
    severity: proposal?.severity,
    ...(priority ? { priority } : {}),
    accountName: report.account?.name ?? report.account?.externalId ?? null,
  };
}
