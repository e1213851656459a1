import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { inertInline } from '../../common/inert-text';
import { SEVERITIES } from '../../common/severity';
import type { Project } from '../projects/entities/project.entity';
import type { Report } from '../reports/entities/report.entity';
import {
  decidePriority,
  isHigherPriority,
  type PriorityLevel,
} from '../triage/engine/ticket/priority';
import { ReportTicket } from './entities/report-ticket.entity';
import { TicketAccount } from './entities/ticket-account.entity';
import { Ticket, type TicketPriority } from './entities/ticket.entity';
import type { TrackerAdapter, TrackerIssue } from './tracker';
import { accountKeyOf, customerOf } from './ticket-customer';
import { decideTicketPriority, type PriorityBasis } from './ticket-priority';
import { TrackerRegistry } from './tracker-registry';

/** What the existing ticket heard of a duplicate report. */
export interface Announced {
  ticketKey: string;
  /** False when the report's account was already on the ticket: no new comment. */
  announces: boolean;
  /** Set when this report raised the ticket's priority (null: it stayed where it was). */
  raised: { from: PriorityLevel | null; to: PriorityLevel; reasons: string[] } | null;
}

/** The priority a severity alone gives a ticket. */
function severityLevel(severity: PriorityBasis['severity']): PriorityLevel {
  return decidePriority({ severity, account: null, reports: 1, accounts: 1, sentry: null }).level;
}

/**
 * The line a comment gets when its report raised the ticket's priority. The reasons may name an
 * account's tier, which the customer's side wrote: inert Markdown, as all customer text is.
 */
export function raisedLine(raised: NonNullable<Announced['raised']>): string {
  const from = raised.from ? ` from ${raised.from}` : '';
  return `Priority raised${from} to **${raised.to}**: ${raised.reasons.map(inertInline).join('; ')}.`;
}

/**
 * What happens to the existing ticket when a report duplicates it: the first report of each
 * customer account posts the comment the triage engine composed (who, their words, a replay, the
 * steps it recorded) and,
 * on Linear, becomes a customer need; the link is stored with its counts. Nothing is ever
 * closed, reopened or reassigned on the tracker. Safe to run again after any crash.
 */
@Injectable()
export class DuplicateActionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: TrackerRegistry,
  ) {}

  /**
   * Tells the ticket about the report (with its reporter and account), once per account: the
   * comment is composed only when this report is the one that announces its account.
   */
  async announce(
    project: Project,
    report: Report,
    ticketId: string,
    compose: () => Promise<string>,
    basis: PriorityBasis | null = null,
  ): Promise<Announced> {
    const ticket = await this.db
      .getRepository(Ticket)
      .findOneByOrFail({ id: ticketId, projectId: report.projectId });
    const tracker = this.registry.forProject(project);
    const issue: TrackerIssue = {
      externalId: ticket.externalId,
      key: ticket.key,
      url: ticket.url,
      title: ticket.title,
      state: ticket.state,
    };

    // Claim the account's first appearance on this ticket; a later report of it stays quiet.
    const accountKey = accountKeyOf(report);
    await this.db
      .createQueryBuilder()
      .insert()
      .into(TicketAccount)
      .values({ ticketId, accountKey, reportId: report.id })
      .orIgnore()
      .execute();
    const claim = await this.db
      .getRepository(TicketAccount)
      .findOneByOrFail({ ticketId, accountKey });
    const announces = claim.reportId === report.id;
    // The priority with this report counted (linked a moment later, in the merge's transaction).
    const next = basis ? await this.recomputed(ticket, report.id, basis) : null;
    // A ticket Repro gave no priority (filed by a person, or before priorities) is taken to be
    // at its severity's: only what the duplicates add beyond that is worth a change.
    const current = ticket.priority?.level ?? (next && severityLevel(next.basis.severity));
    const raised =
      next && isHigherPriority(next.level, current)
        ? { from: ticket.priority?.level ?? null, to: next.level, reasons: next.reasons }
        : null;
    const comments = announces && !claim.announcedAt;
    if (comments) {
      const comment = await compose();
      await this.announceOn(
        tracker,
        issue,
        report,
        raised ? `${comment}\n\n${raisedLine(raised)}` : comment,
      );
    } else if (raised) {
      // The account was on the ticket already: the raise gets a comment of its own.
      await tracker.addComment(issue, raisedLine(raised), `priority:${report.id}`);
    }
    // Stored before the account is marked announced: a retry in between finds the priority
    // raised and the comment posted (by its key), and does neither again.
    if (raised && next) await this.raise(tracker, issue, ticket.id, next);
    if (comments) {
      await this.db
        .getRepository(TicketAccount)
        .update({ ticketId, accountKey }, { announcedAt: new Date() });
    }
    return { ticketKey: ticket.key, announces, raised };
  }

  /** The ticket's priority with `reportId` among its reports and its account among its accounts. */
  private async recomputed(
    ticket: Ticket,
    reportId: string,
    basis: PriorityBasis,
  ): Promise<TicketPriority> {
    const { reports, accounts } = await this.counts(this.db.manager, ticket.id);
    const linked = await this.db.getRepository(ReportTicket).existsBy({ reportId });
    return decideTicketPriority(
      basis,
      { reports: reports + (linked ? 0 : 1), accounts },
      ticket.priority,
    );
  }

  /**
   * Raises the priority on the tracker, then on the ticket, only upwards: a concurrent raise to
   * a higher level wins. Both are safe to repeat.
   */
  private async raise(
    tracker: TrackerAdapter,
    issue: TrackerIssue,
    ticketId: string,
    next: TicketPriority,
  ): Promise<void> {
    if (tracker.setPriority) await tracker.setPriority(issue, next.level, next.reasons);
    await this.db.query(
      `UPDATE tickets SET priority = $2::jsonb, updated_at = now()
        WHERE id = $1 AND (priority IS NULL
          OR array_position($3::text[], priority->>'level') > array_position($3::text[], $4))`,
      [ticketId, JSON.stringify(next), [...SEVERITIES], next.level],
    );
  }

  /** Links the report to the ticket as a duplicate; the ticket's counts after it. */
  async link(
    manager: EntityManager,
    reportId: string,
    ticketId: string,
  ): Promise<{ reports: number; accounts: number }> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(ReportTicket)
      .values({ reportId, ticketId, relation: 'duplicate' })
      .orIgnore()
      .execute();
    return this.counts(manager, ticketId);
  }

  /** Reports and distinct accounts behind a ticket. */
  async counts(
    manager: EntityManager,
    ticketId: string,
  ): Promise<{ reports: number; accounts: number }> {
    const reports = await manager.getRepository(ReportTicket).countBy({ ticketId });
    const accounts = await manager.getRepository(TicketAccount).countBy({ ticketId });
    return { reports, accounts };
  }

  private async announceOn(
    tracker: TrackerAdapter,
    issue: TrackerIssue,
    report: Report,
    comment: string,
  ): Promise<void> {
    await tracker.addComment(issue, comment, `duplicate:${report.id}`);
    const customer = customerOf(report);
    if (tracker.linkReportCustomer && customer)
      await tracker.linkReportCustomer(issue, customer, report.id);
  }
}
