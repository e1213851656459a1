import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Project } from '../projects/entities/project.entity';
import type { Report } from '../reports/entities/report.entity';
import { ReportTicket } from './entities/report-ticket.entity';
import { TicketAccount } from './entities/ticket-account.entity';
import { Ticket } from './entities/ticket.entity';
import type { TrackerAdapter, TrackerIssue } from './tracker';
import { accountKeyOf, customerOf } from './ticket-customer';
import { TrackerRegistry } from './tracker-registry';

/** What the existing ticket heard of a duplicate report. */
export interface Announced {
  ticketKey: string;
  /** False when the report's account was already on the ticket: no new comment. */
  announces: boolean;
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
    if (announces && !claim.announcedAt) {
      await this.announceOn(tracker, issue, report, await compose());
      await this.db
        .getRepository(TicketAccount)
        .update({ ticketId, accountKey }, { announcedAt: new Date() });
    }
    return { ticketKey: ticket.key, announces };
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
