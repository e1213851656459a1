import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../../common/errors';
import { BuiltinTracker } from './builtin/builtin.tracker';
import { ReportTicket } from './entities/report-ticket.entity';
import { TicketAccount } from './entities/ticket-account.entity';
import { Ticket } from './entities/ticket.entity';

export interface TicketView {
  key: string;
  url: string;
  title: string;
  state: string;
  provider: string;
  createdAt: string;
  reportCount: number;
}

export interface TicketDetail extends TicketView {
  /** Markdown body; only the built-in tracker's is kept here. */
  body: string | null;
  /** Distinct customer accounts that reported it. */
  accountCount: number;
  /** Comments (duplicates announcing themselves); only the built-in tracker's are kept here. */
  comments: { body: string; createdAt: string }[];
  reports: { id: string; relation: string; linkedAt: string }[];
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
    if (
      typeof parsed.createdAt === 'string' &&
      typeof parsed.id === 'string' &&
      !isNaN(Date.parse(parsed.createdAt))
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
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly builtin: BuiltinTracker,
  ) {}

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
    // No tracker issues keys with control characters (PostgreSQL cannot even compare a NUL).
    if (key.length > 200 || [...key].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')) {
      throw new NotFoundError('Ticket');
    }
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
    return {
      ...this.view(ticket, links.length),
      body,
      accountCount,
      comments,
      reports: links.map((l) => ({
        id: l.reportId,
        relation: l.relation,
        linkedAt: l.createdAt.toISOString(),
      })),
    };
  }

  /** The ticket a report was filed into or merged with, if any. */
  async forReport(reportId: string): Promise<(TicketView & { relation: string }) | null> {
    const link = await this.db
      .getRepository(ReportTicket)
      .findOne({ where: { reportId }, relations: { ticket: true } });
    if (!link?.ticket) return null;
    return { ...this.view(link.ticket, 0), relation: link.relation };
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
    };
  }
}
