import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { Report, type ReportSource } from './entities/report.entity';
import type { ReportStatus } from './report-state-machine';

/** The inbox's filters; every one optional but the project. */
export interface ReportFilters {
  projectId: string;
  statuses?: ReportStatus[];
  accountId?: string;
  tier?: string;
  source?: ReportSource;
  from?: Date;
  to?: Date;
  /** Words to find in the description (PostgreSQL full-text search, web-search syntax). */
  q?: string;
}

/** Where a page starts: after this report in the inbox's order. */
export interface ListPosition {
  needsPerson: boolean;
  /** created_at as PostgreSQL prints it, microseconds kept (a Date would round them away). */
  createdAt: string;
  id: string;
}

/** One report of a page, with its reporter and account. */
export interface ListedReport {
  id: string;
  status: ReportStatus;
  source: ReportSource;
  /** The description's first 1,000 characters (the title and excerpt come from these). */
  description: string;
  createdAt: Date;
  reporter: { name: string | null; email: string | null } | null;
  account: { id: string; name: string | null; tier: string | null } | null;
  position: ListPosition;
}

/** The text search expression, exactly as the expression index `reports_description_search`. */
const SEARCH_VECTOR = `to_tsvector('english', left(r.description, 6000))`;

/**
 * The reports of the project matching the filters: those waiting for a person first, then the
 * rest, each group newest first; `limit` of them after `after`. Keyset pagination on the index
 * `reports_inbox` (project, needs a person, created_at, id), so a page costs the same anywhere.
 */
export async function listReports(
  db: DataSource,
  filters: ReportFilters,
  limit: number,
  after: ListPosition | null,
): Promise<ListedReport[]> {
  const query = filtered(db, filters, true, true)
    .leftJoin('r.reporter', 'reporter')
    .select([
      'r.id AS id',
      'r.status AS status',
      'r.source AS source',
      'left(r.description, 1000) AS description',
      'r.created_at AS created_at',
      'r.created_at::text AS created_at_text',
      `(r.status = 'needs_human') AS needs_person`,
      'reporter.id AS reporter_id',
      'reporter.name AS reporter_name',
      'reporter.email AS reporter_email',
      'account.id AS account_id',
      'account.name AS account_name',
      'account.tier AS account_tier',
    ])
    .orderBy(`(r.status = 'needs_human')`, 'DESC')
    .addOrderBy('r.created_at', 'DESC')
    .addOrderBy('r.id', 'DESC')
    .limit(limit);
  if (after) {
    query.andWhere(
      `((r.status = 'needs_human'), r.created_at, r.id) < (:needsPerson, :createdAt::timestamptz, :id::uuid)`,
      after,
    );
  }
  const rows = await query.getRawMany<{
    id: string;
    status: ReportStatus;
    source: ReportSource;
    description: string;
    created_at: Date;
    created_at_text: string;
    needs_person: boolean;
    reporter_id: string | null;
    reporter_name: string | null;
    reporter_email: string | null;
    account_id: string | null;
    account_name: string | null;
    account_tier: string | null;
  }>();
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    source: row.source,
    description: row.description,
    createdAt: row.created_at,
    reporter: row.reporter_id ? { name: row.reporter_name, email: row.reporter_email } : null,
    account: row.account_id
      ? { id: row.account_id, name: row.account_name, tier: row.account_tier }
      : null,
    position: { needsPerson: row.needs_person, createdAt: row.created_at_text, id: row.id },
  }));
}

/** How many reports match the filters (all but the statuses), per status. */
export async function countReportsByStatus(
  db: DataSource,
  filters: ReportFilters,
): Promise<Map<ReportStatus, number>> {
  const rows = await filtered(db, filters, false, Boolean(filters.tier))
    .select('r.status', 'status')
    .addSelect('count(*)::int', 'count')
    .groupBy('r.status')
    .getRawMany<{ status: ReportStatus; count: number }>();
  return new Map(rows.map((r) => [r.status, r.count]));
}

/**
 * The latest reason each of these reports was handed to a person, from the audit log (the
 * transition into `needs_human`): report id → reason.
 */
export async function needsPersonReasons(
  db: DataSource,
  reportIds: string[],
): Promise<Map<string, string>> {
  if (!reportIds.length) return new Map();
  const rows = await db.query<{ report_id: string; reason: string }[]>(
    `SELECT DISTINCT ON (report_id) report_id, reason FROM pipeline_events
      WHERE report_id = ANY($1::uuid[]) AND event = 'transition' AND to_status = 'needs_human'
      ORDER BY report_id, id DESC`,
    [reportIds],
  );
  return new Map(rows.map((r) => [r.report_id, r.reason]));
}

/** These reports (of the project) with their status, reporter and account, in the given order. */
export async function reportsWithPeople(
  db: DataSource,
  projectId: string,
  ids: string[],
): Promise<Report[]> {
  if (!ids.length) return [];
  const rows = await db
    .getRepository(Report)
    .createQueryBuilder('r')
    .leftJoinAndSelect('r.reporter', 'reporter')
    .leftJoinAndSelect('r.account', 'account')
    .where('r.project_id = :projectId AND r.id IN (:...ids)', { projectId, ids })
    .getMany();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r): r is Report => Boolean(r));
}

function filtered(
  db: DataSource,
  filters: ReportFilters,
  withStatuses: boolean,
  withAccount: boolean,
): SelectQueryBuilder<Report> {
  const query = db
    .getRepository(Report)
    .createQueryBuilder('r')
    .where('r.project_id = :projectId', { projectId: filters.projectId });
  // The account through the report's relation (as the kernel reads a report's people), joined
  // only when it is shown or filtered on.
  if (withAccount) query.leftJoin('r.account', 'account');
  if (withStatuses && filters.statuses?.length) {
    query.andWhere('r.status = ANY(:statuses::report_status[])', { statuses: filters.statuses });
  }
  if (filters.accountId) query.andWhere('r.account_id = :accountId', filters);
  // Tiers are compared as people write them ("Enterprise", "enterprise").
  if (filters.tier) query.andWhere('lower(account.tier) = lower(:tier)', filters);
  if (filters.source) query.andWhere('r.source = :source', filters);
  if (filters.from) query.andWhere('r.created_at >= :from', filters);
  if (filters.to) query.andWhere('r.created_at < :to', filters);
  if (filters.q) query.andWhere(`${SEARCH_VECTOR} @@ websearch_to_tsquery('english', :q)`, filters);
  return query;
}
