import type { Project, TrackerProvider } from '../projects/entities/project.entity';
import type { TicketDraft } from '../triage/engine/ticket/ticket-draft';
import type { PriorityLevel } from '../triage/engine/ticket/priority';

/** What Repro asks a tracker to create (composed by the triage engine's ticket writer). */
export type { TicketDraft } from '../triage/engine/ticket/ticket-draft';

/** An issue as the tracker holds it. */
export interface TrackerIssue {
  externalId: string;
  key: string;
  url: string;
  title: string;
  state: string;
}

/** Our codes for vendor failures, so nothing outside an adapter parses a vendor's error. */
export type TrackerErrorCode = 'RATE_LIMITED' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'TEMPORARY';

export class TrackerError extends Error {
  constructor(
    readonly code: TrackerErrorCode,
    message: string,
    /** For RATE_LIMITED: when the vendor says to come back. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TrackerError';
  }
}

/** The customer account behind a report, for trackers that know customers (Linear). */
export interface TicketCustomer {
  externalId: string;
  name: string;
  domains: string[];
  tier: string | null;
  /** Annual revenue in whole currency units. */
  revenue: number | null;
  /** The reporter's own words. */
  words: string;
}

/** One per destination: the built-in tracker, Linear, GitHub. */
export interface TrackerAdapter {
  readonly provider: TrackerProvider;
  /** The issue this report already created, found by its marker; null if none. */
  findByReport(project: Project, reportId: string): Promise<TrackerIssue | null>;
  createIssue(project: Project, draft: TicketDraft): Promise<TrackerIssue>;
  /**
   * After create (and on every retry, so each must be idempotent): link evidence such as the
   * replay, and the customer. Trackers without such notions leave these out.
   */
  linkEvidence?(issue: TrackerIssue, links: { url: string; title: string }[]): Promise<void>;
  linkReportCustomer?(
    issue: TrackerIssue,
    customer: TicketCustomer,
    reportId: string,
  ): Promise<void>;
  /** A comment, stored once per `idempotencyKey` however often it is retried. */
  addComment(issue: TrackerIssue, body: string, idempotencyKey: string): Promise<void>;
  /**
   * Raises the issue's priority to `level` (never lowers it: a higher priority someone set on
   * the tracker stays). Setting the level it has already is a no-op, so it is retried freely.
   * Returns whether the tracker changed.
   */
  setPriority?(issue: TrackerIssue, level: PriorityLevel, reasons: string[]): Promise<boolean>;
}
