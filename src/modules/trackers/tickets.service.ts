import { Injectable } from '@nestjs/common';
import { isISO8601, isUUID } from 'class-validator';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { DomainError, ErrorCode, NotFoundError, ValidationFailedError } from '../../common/errors';
import { reportsWithPeople } from '../reports/report-list';
import { type BuiltinState, BuiltinTracker } from './builtin/builtin.tracker';
import { ReportTicket } from './entities/report-ticket.entity';
import { TicketAccount } from './entities/ticket-account.entity';
import { Ticket } from './entities/ticket.entity';
import { TrackerIssueRow } from './entities/tracker-issue.entity';
import { upsertMirroredIssue } from './mirror/mirror-store';
import type { MirroredIssue } from './mirror/mirrored-issue';

export interface TicketView {
  key: string;
  url: string;
  title: string;
  state: string;
  provider: string;
  createdAt: string;
  reportCount: number;
  /** The priority Repro gave it and why (raised as duplicates join); null if it gave none. */
  priority: { level: string; reasons: string[] } | null;
}

export interface TicketDetail extends TicketView {
  /** Markdown body; only the built-in tracker's is kept here. */
  body: string | null;
  /** Distinct customer accounts that reported it. */
  accountCount: number;
  /** Comments (duplicates announcing themselves); only the built-in tracker's are kept here. */
  comments: { body: string; createdAt: string }[];
  /** The linked reports, oldest link first, with where each stands and who sent it. */
  reports: {
    id: string;
    relation: string;
    linkedAt: string;
    status: string;
    reporter: { name: string | null; email: string | null } | null;
    account: { id: string; name: string | null; tier: string | null } | null;
  }[];
  /** The customer accounts of the linked reports, once each. */
  accounts: { id: string; name: string | null; tier: string | null }[];
}

/**
 * Told when a person changes a built-in ticket's state, in that change's transaction: the
 * pipeline moves the linked reports as a tracker webhook's news would.
 */
export type TicketStateListener = (
  manager: EntityManager,
  change: IssueChangeNews,
  tickets: ChangedTicket[],
  deliveryId: string,
) => Promise<void>;

/** A change of an issue as a tracker's webhook reports it. */
export interface IssueChangeNews extends MirroredIssue {
  provider: Ticket['provider'];
  /** The tracker's category for the state: Linear's state type, GitHub's state_reason. */
  stateDetail: string | null;
  /** The issue was deleted. */
  removed?: boolean;
}

/** One of Repro's tickets whose state a change moved, with the reports linked to it. */
export interface ChangedTicket {
  id: string;
  key: string;
  previous: string;
  links: { reportId: string; relation: 'created' | 'duplicate' }[];
}

interface Cursor {
  createdAt: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    // Checked whole before PostgreSQL sees it: a crafted id or time would be a 500 there.
    if (
      typeof parsed.createdAt === 'string' &&
      typeof parsed.id === 'string' &&
      isUUID(parsed.id) &&
      isISO8601(parsed.createdAt, { strict: true })
    ) {
      return { createdAt: parsed.createdAt, id: parsed.id };
    }
  } catch {
    // fall through
  }
  throw new ValidationFailedError([
    { field: 'cursor', message: 'is not a cursor this API returned' },
  ]);
}

@Injectable()
export class TicketsService {
  private stateListener: TicketStateListener | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly builtin: BuiltinTracker,
  ) {}

  /** The pipeline registers how reports follow their ticket (it sits above this module). */
  onStateChange(listener: TicketStateListener): void {
    this.stateListener = listener;
  }

  /**
   * A person resolves, closes or reopens a built-in ticket: the ticket, its issue and its
   * mirror entry take the state, and its reports follow (resolved, closed, or back to filed or
   * duplicate), each change in the report's history, all in one transaction. Setting the state
   * it already has changes nothing. A Linear or GitHub ticket is changed on its tracker: 409.
   */
  async setBuiltinState(
    projectId: string,
    key: string,
    state: BuiltinState,
  ): Promise<TicketDetail> {
    const listener = this.stateListener;
    // Without the pipeline the reports would silently stay behind their ticket.
    if (!listener) throw new Error('No pipeline is listening for ticket state changes');
    if (!wellFormedKey(key)) throw new NotFoundError('Ticket');
    await this.db.transaction(async (manager) => {
      const ticket = await manager
        .getRepository(Ticket)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.project_id = :projectId AND t.key = :key', { projectId, key })
        .getOne();
      if (!ticket) throw new NotFoundError(`Ticket ${key}`);
      if (ticket.provider !== 'builtin') {
        throw new DomainError(
          409,
          ErrorCode.TicketNotBuiltin,
          `${key} is a ${ticket.provider} issue: change its state there, and Repro follows.`,
          { field: 'key', url: ticket.url, provider: ticket.provider },
        );
      }
      if (ticket.state === state) return;
      const open = state === 'open';
      await manager.update(Ticket, { id: ticket.id }, { state });
      await this.builtin.setState(manager, ticket.externalId, state);
      // The open-issue mirror too, so dedupe stops (or starts again) offering it.
      await manager
        .createQueryBuilder()
        .update(TrackerIssueRow)
        .set({ state, open })
        .where('project_id = :projectId AND provider = :provider AND external_id = :externalId', {
          projectId,
          provider: 'builtin',
          externalId: ticket.externalId,
        })
        .execute();
      const links = await manager.getRepository(ReportTicket).find({
        select: { reportId: true, relation: true },
        where: { ticketId: ticket.id },
        order: { reportId: 'ASC' },
      });
      await listener(
        manager,
        {
          provider: 'builtin',
          externalId: ticket.externalId,
          key: ticket.key,
          url: ticket.url,
          title: ticket.title,
          body: '',
          state,
          open,
          labels: [],
          remoteUpdatedAt: new Date(),
          // reportStatusFor: a closed ticket's reports are closed, a resolved one's resolved.
          stateDetail: state === 'closed' ? 'closed' : null,
        },
        [
          {
            id: ticket.id,
            key: ticket.key,
            previous: ticket.state,
            links: links.map((l) => ({ reportId: l.reportId, relation: l.relation })),
          },
        ],
        `app:${randomUUID()}`,
      );
    });
    return this.get(projectId, key);
  }

  /** Newest first, keyset-paginated. */
  async list(
    projectId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ tickets: TicketView[]; nextCursor: string | null }> {
    const query = this.db
      .getRepository(Ticket)
      .createQueryBuilder('t')
      .where('t.project_id = :projectId', { projectId })
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(limit + 1);
    if (cursor) {
      const after = decodeCursor(cursor);
      query.andWhere('(t.created_at, t.id) < (:createdAt, :id)', after);
    }
    const rows = await query.getMany();
    const page = rows.slice(0, limit);
    const counts = await this.reportCounts(page.map((t) => t.id));
    const last = page[page.length - 1];
    return {
      tickets: page.map((t) => this.view(t, counts.get(t.id) ?? 0)),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id })
          : null,
    };
  }

  async get(projectId: string, key: string): Promise<TicketDetail> {
    if (!wellFormedKey(key)) throw new NotFoundError('Ticket');
    const ticket = await this.db.getRepository(Ticket).findOneBy({ projectId, key });
    if (!ticket) throw new NotFoundError(`Ticket ${key}`);
    const links = await this.db
      .getRepository(ReportTicket)
      .find({ where: { ticketId: ticket.id }, order: { createdAt: 'ASC' } });
    const builtin = ticket.provider === 'builtin';
    const body = builtin ? await this.builtin.body(projectId, ticket.externalId) : null;
    const comments = builtin ? await this.builtin.comments(ticket.externalId) : [];
    const accountCount = await this.db
      .getRepository(TicketAccount)
      .countBy({ ticketId: ticket.id });
    const reports = new Map(
      (
        await reportsWithPeople(
          this.db,
          projectId,
          links.map((l) => l.reportId),
        )
      ).map((r) => [r.id, r]),
    );
    const accounts = new Map<string, { id: string; name: string | null; tier: string | null }>();
    for (const report of reports.values()) {
      if (report.account) {
        const { id, name, tier } = report.account;
        accounts.set(id, { id, name, tier });
      }
    }
    return {
      ...this.view(ticket, links.length),
      body,
      accountCount,
      comments,
      reports: links.map((l) => {
        const report = reports.get(l.reportId);
        return {
          id: l.reportId,
          relation: l.relation,
          linkedAt: l.createdAt.toISOString(),
          status: report?.status ?? 'unknown',
          reporter: report?.reporter
            ? { name: report.reporter.name, email: report.reporter.email }
            : null,
          account: report?.account
            ? { id: report.account.id, name: report.account.name, tier: report.account.tier }
            : null,
        };
      }),
      accounts: [...accounts.values()],
    };
  }

  /** The tickets these reports were filed into or merged with: report id → ticket. */
  async forReports(
    reportIds: string[],
  ): Promise<Map<string, { key: string; url: string; relation: string; title: string }>> {
    if (!reportIds.length) return new Map();
    const links = await this.db
      .getRepository(ReportTicket)
      .find({ where: { reportId: In(reportIds) }, relations: { ticket: true } });
    return new Map(
      links
        .filter((l) => l.ticket)
        .map((l) => [
          l.reportId,
          { key: l.ticket!.key, url: l.ticket!.url, relation: l.relation, title: l.ticket!.title },
        ]),
    );
  }

  /** The ticket a report was filed into or merged with, if any. */
  async forReport(reportId: string): Promise<(TicketView & { relation: string }) | null> {
    const link = await this.db
      .getRepository(ReportTicket)
      .findOne({ where: { reportId }, relations: { ticket: true } });
    if (!link?.ticket) return null;
    return { ...this.view(link.ticket, 0), relation: link.relation };
  }

  /** The ticket a report was filed into or merged with: its id, or null. */
  async ticketIdOf(reportId: string): Promise<string | null> {
    const link = await this.db.getRepository(ReportTicket).findOneBy({ reportId });
    return link?.ticketId ?? null;
  }

  /** An open issue of the project's tracker, by key, from the mirror. */
  openIssueByKey(projectId: string, key: string): Promise<TrackerIssueRow | null> {
    return this.db.getRepository(TrackerIssueRow).findOneBy({ projectId, key, open: true });
  }

  /**
   * The ticket with this key: one Repro filed, or any issue in the mirror (its Ticket row made
   * on first use). Null when the project has no such ticket.
   */
  async ticketForKey(projectId: string, key: string): Promise<string | null> {
    const ticket = await this.db.getRepository(Ticket).findOneBy({ projectId, key });
    if (ticket) return ticket.id;
    const issue = await this.db.getRepository(TrackerIssueRow).findOneBy({ projectId, key });
    return issue ? this.ticketForIssue(issue.id) : null;
  }

  /** The Ticket row for a mirrored issue, made on first use (issues people filed have none). */
  async ticketForIssue(issueRowId: string): Promise<string> {
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

  /**
   * A tracker's news about an issue: into the mirror (a deleted issue stays there, closed, so a
   * late update cannot bring it back), and, when it is one of Repro's tickets whose state
   * changed, onto the ticket. Returns whether the mirror took it and the tickets it moved.
   */
  async applyIssueChange(
    manager: EntityManager,
    projectId: string,
    change: IssueChangeNews,
  ): Promise<{ mirrored: boolean; tickets: ChangedTicket[] }> {
    const mirrored = change.removed
      ? await this.markRemoved(manager, projectId, change)
      : await upsertMirroredIssue(manager, projectId, change.provider, change);
    // An update older than what the mirror holds says nothing new about our ticket either.
    if (!mirrored && !change.removed) return { mirrored, tickets: [] };
    const [rows] = await manager.query<[Omit<ChangedTicket, 'links'>[], number]>(
      `UPDATE tickets t SET state = $4, updated_at = now()
       FROM (SELECT id, state FROM tickets
             WHERE project_id = $1 AND provider = $2 AND external_id = $3 FOR UPDATE) previous
       WHERE t.id = previous.id AND previous.state <> $4
       RETURNING t.id, t.key, previous.state AS previous`,
      [projectId, change.provider, change.externalId, change.state],
    );
    const tickets: ChangedTicket[] = [];
    for (const row of rows) {
      const links = await manager.getRepository(ReportTicket).find({
        select: { reportId: true, relation: true },
        where: { ticketId: row.id },
        order: { reportId: 'ASC' },
      });
      tickets.push({
        ...row,
        links: links.map((l) => ({ reportId: l.reportId, relation: l.relation })),
      });
    }
    return { mirrored, tickets };
  }

  private async markRemoved(
    manager: EntityManager,
    projectId: string,
    change: IssueChangeNews,
  ): Promise<boolean> {
    const [rows] = await manager.query<[unknown[], number]>(
      `UPDATE tracker_issues SET open = false, state = $4,
         remote_updated_at = GREATEST(remote_updated_at, now()), updated_at = now()
       WHERE project_id = $1 AND provider = $2 AND external_id = $3
       RETURNING id`,
      [projectId, change.provider, change.externalId, change.state],
    );
    return rows.length > 0;
  }

  private async reportCounts(ticketIds: string[]): Promise<Map<string, number>> {
    if (ticketIds.length === 0) return new Map();
    const rows = await this.db
      .getRepository(ReportTicket)
      .createQueryBuilder('l')
      .select('l.ticket_id', 'ticketId')
      .addSelect('count(*)::int', 'count')
      .where('l.ticket_id IN (:...ticketIds)', { ticketIds })
      .groupBy('l.ticket_id')
      .getRawMany<{ ticketId: string; count: number }>();
    return new Map(rows.map((r) => [r.ticketId, r.count]));
  }

  private view(ticket: Ticket, reportCount: number): TicketView {
    return {
      key: ticket.key,
      url: ticket.url,
      title: ticket.title,
      state: ticket.state,
      provider: ticket.provider,
      createdAt: ticket.createdAt.toISOString(),
      reportCount,
      priority: ticket.priority
        ? { level: ticket.priority.level, reasons: ticket.priority.reasons }
        : null,
    };
  }
}

/** No tracker issues keys with control characters (PostgreSQL cannot even compare a NUL). */
function wellFormedKey(key: string): boolean {
  return key.length <= 200 && ![...key].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f');
}
