import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PipelineEvent } from './entities/pipeline-event.entity';
import { Report } from './entities/report.entity';
import { assertTransition, type ReportStatus } from './report-state-machine';

/** What intake knows of a new report. */
export type NewReport = Pick<
  Report,
  | 'projectId'
  | 'source'
  | 'description'
  | 'pageUrl'
  | 'pageTitle'
  | 'userAgent'
  | 'client'
  | 'sentry'
  | 'reporterId'
  | 'accountId'
  | 'idempotencyKey'
  | 'requestHash'
  | 'reporterTokenHash'
>;

/** A report the reconciler looks at, and where the next page of them starts. */
export interface StaleReport extends Pick<Report, 'id' | 'status' | 'updatedAt'> {
  position: string;
}

export interface AuditEntry {
  reportId: string;
  stage: string;
  event: string;
  reason: string;
  fromStatus?: ReportStatus | null;
  toStatus?: ReportStatus | null;
  details?: Record<string, unknown>;
}

/**
 * The reports kernel: reads of the `reports` table, its audit log, and the one primitive that
 * changes a report's status. Only the pipeline calls `transition`; every module may audit.
 */
@Injectable()
export class ReportsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  find(id: string, manager: EntityManager = this.db.manager): Promise<Report | null> {
    return manager.getRepository(Report).findOneBy({ id });
  }

  get(id: string, manager: EntityManager = this.db.manager): Promise<Report> {
    return manager.getRepository(Report).findOneByOrFail({ id });
  }

  /** The report with its reporter and account. */
  withPeople(id: string, manager: EntityManager = this.db.manager): Promise<Report> {
    return this.peopleQuery(id, manager).getOneOrFail();
  }

  /** The report with its reporter and account; null when it does not exist. */
  findWithPeople(id: string, manager: EntityManager = this.db.manager): Promise<Report | null> {
    return this.peopleQuery(id, manager).getOne();
  }

  private peopleQuery(id: string, manager: EntityManager) {
    // One query (findOne with relations adds a DISTINCT query before it).
    return manager
      .getRepository(Report)
      .createQueryBuilder('r')
      .leftJoinAndSelect('r.reporter', 'reporter')
      .leftJoinAndSelect('r.account', 'account')
      .where('r.id = :id', { id });
  }

  /** A report of this project; null when it is another project's or does not exist. */
  findInProject(projectId: string, id: string): Promise<Report | null> {
    return this.db.getRepository(Report).findOneBy({ id, projectId });
  }

  /** Reports of these ids, with their status. */
  statuses(ids: string[], manager: EntityManager = this.db.manager): Promise<Report[]> {
    if (!ids.length) return Promise.resolve([]);
    return manager
      .getRepository(Report)
      .find({ select: { id: true, status: true }, where: { id: In(ids) } });
  }

  /** Locks the report's row until the transaction ends (null when it is gone). */
  lock(manager: EntityManager, id: string): Promise<Report | null> {
    return manager
      .getRepository(Report)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOne();
  }

  /**
   * The hash of the reporter's token (not selected by default); with `scope`, only of a report
   * of that project that came in from that source (undefined for any other), in the same query.
   */
  async reporterTokenHash(
    id: string,
    scope?: Pick<Report, 'projectId' | 'source'>,
  ): Promise<string | null | undefined> {
    const query = this.db
      .getRepository(Report)
      .createQueryBuilder('r')
      .select(['r.id', 'r.reporterTokenHash'])
      .where('r.id = :id', { id });
    if (scope) query.andWhere('r.projectId = :projectId AND r.source = :source', scope);
    const row = await query.getOne();
    return row ? row.reporterTokenHash : undefined;
  }

  /**
   * Reports in these statuses untouched since `before`, oldest first, a page at a time: the
   * next page starts after `after` (the previous page's last `position`).
   */
  async stale(
    statuses: readonly ReportStatus[],
    before: Date,
    limit: number,
    after: string | null = null,
  ): Promise<StaleReport[]> {
    const [at, id] = after ? (JSON.parse(after) as [string, string]) : [null, null];
    const rows = await this.db.query<
      { id: string; status: ReportStatus; updated_at: Date; at: string }[]
    >(
      `SELECT id, status, updated_at, updated_at::text AS at FROM reports
        WHERE status = ANY($1::report_status[]) AND updated_at < $2
          AND ($3::timestamptz IS NULL OR (updated_at, id) > ($3::timestamptz, $4::uuid))
        ORDER BY updated_at, id
        LIMIT $5`,
      [statuses, before, at, id, limit],
    );
    // The position keeps PostgreSQL's microseconds, which a Date would round away.
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      updatedAt: r.updated_at,
      position: JSON.stringify([r.at, r.id]),
    }));
  }

  /**
   * Stores a new report (status `received`) and audits its arrival. Null, storing nothing,
   * when the project already has a report with this idempotency key.
   */
  async create(
    manager: EntityManager,
    values: NewReport,
    arrival: { reason: string; details: Record<string, unknown> },
  ): Promise<Report | null> {
    // One round trip on intake's hot path: the row and its arrival in the audit log together.
    const rows = await manager.query<
      { id: string; status: ReportStatus; created_at: Date; updated_at: Date }[]
    >(
      `WITH report AS (
         INSERT INTO reports (project_id, source, description, page_url, page_title, user_agent,
                              client, sentry, reporter_id, account_id, idempotency_key,
                              request_hash, reporter_token_hash, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, 'received')
         ON CONFLICT DO NOTHING
         RETURNING id, status, created_at, updated_at
       ), arrival AS (
         INSERT INTO pipeline_events (report_id, stage, event, to_status, reason, details)
         SELECT id, 'intake', 'transition', 'received', $14, $15::jsonb FROM report
       )
       SELECT * FROM report`,
      [
        values.projectId,
        values.source,
        values.description,
        values.pageUrl,
        values.pageTitle,
        values.userAgent,
        JSON.stringify(values.client),
        JSON.stringify(values.sentry),
        values.reporterId,
        values.accountId,
        values.idempotencyKey,
        values.requestHash,
        values.reporterTokenHash,
        arrival.reason,
        JSON.stringify(arrival.details),
      ],
    );
    return rows[0] ? storedReport(manager, values, rows[0]) : null;
  }

  /**
   * Stores new reports without idempotency keys (status `received`), each with its arrival in
   * the audit log: one statement for a whole batch from intake. In the order given.
   */
  async createMany(
    manager: EntityManager,
    items: { values: NewReport; arrival: { reason: string; details: Record<string, unknown> } }[],
  ): Promise<Report[]> {
    if (items.some((item) => item.values.idempotencyKey !== null)) {
      throw new Error('createMany takes reports without an idempotency key');
    }
    const ids = items.map(() => randomUUID());
    const column = <T>(pick: (item: (typeof items)[number]) => T) => items.map(pick);
    const rows = await manager.query<
      { id: string; status: ReportStatus; created_at: Date; updated_at: Date }[]
    >(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::report_source[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::jsonb[], $9::jsonb[], $10::uuid[],
                              $11::uuid[], $12::text[], $13::text[], $14::jsonb[])
           AS t(id, project_id, source, description, page_url, page_title, user_agent, client,
                sentry, reporter_id, account_id, reporter_token_hash, reason, details)
       ), report AS (
         INSERT INTO reports (id, project_id, source, description, page_url, page_title,
                              user_agent, client, sentry, reporter_id, account_id,
                              reporter_token_hash, status)
         SELECT id, project_id, source, description, page_url, page_title, user_agent, client,
                sentry, reporter_id, account_id, reporter_token_hash, 'received'
           FROM input
         RETURNING id, status, created_at, updated_at
       ), arrival AS (
         INSERT INTO pipeline_events (report_id, stage, event, to_status, reason, details)
         SELECT i.id, 'intake', 'transition', 'received', i.reason, i.details
           FROM input i JOIN report r ON r.id = i.id
       )
       SELECT * FROM report`,
      [
        ids,
        column((i) => i.values.projectId),
        column((i) => i.values.source),
        column((i) => i.values.description),
        column((i) => i.values.pageUrl),
        column((i) => i.values.pageTitle),
        column((i) => i.values.userAgent),
        column((i) => JSON.stringify(i.values.client)),
        column((i) => JSON.stringify(i.values.sentry)),
        column((i) => i.values.reporterId),
        column((i) => i.values.accountId),
        column((i) => i.values.reporterTokenHash),
        column((i) => i.arrival.reason),
        column((i) => JSON.stringify(i.arrival.details)),
      ],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return items.map(({ values }, n) => {
      return storedReport(manager, values, byId.get(ids[n])!);
    });
  }

  findByIdempotencyKey(projectId: string, idempotencyKey: string): Promise<Report | null> {
    return this.db.getRepository(Report).findOneBy({ projectId, idempotencyKey });
  }

  async setReporterTokenHash(id: string, hash: string): Promise<void> {
    await this.db.getRepository(Report).update({ id }, { reporterTokenHash: hash });
  }

  /**
   * Reports of the project still in these statuses that arrived before `report` (by arrival,
   * then id) and less than `windowMs` before now, newest first. Measured from now, so a report
   * that waits for these waits at most the window after the earliest of them arrived.
   */
  async arrivedJustBefore(
    report: Pick<Report, 'id' | 'projectId' | 'createdAt'>,
    statuses: readonly ReportStatus[],
    windowMs: number,
    limit: number,
  ): Promise<{ id: string; pageUrl: string }[]> {
    const rows = await this.db.query<{ id: string; page_url: string }[]>(
      `SELECT id, page_url FROM reports
        WHERE project_id = $1 AND status = ANY($5::report_status[]) AND page_url IS NOT NULL
          AND (created_at, id) < ($2::timestamptz, $3::uuid)
          AND created_at > now() - make_interval(secs => $4)
        ORDER BY created_at DESC LIMIT ${Number(limit)}`,
      [report.projectId, report.createdAt, report.id, windowMs / 1000, statuses],
    );
    return rows.map((r) => ({ id: r.id, pageUrl: r.page_url }));
  }

  /** The report's latest audit entry (its stage and event); null when it has none. */
  async lastEvent(reportId: string): Promise<Pick<PipelineEvent, 'stage' | 'event'> | null> {
    return this.db.getRepository(PipelineEvent).findOne({
      select: { id: true, stage: true, event: true },
      where: { reportId },
      order: { id: 'DESC' },
    });
  }

  async countByStatus(): Promise<Map<ReportStatus, number>> {
    const rows = await this.db
      .getRepository(Report)
      .createQueryBuilder('r')
      .select('r.status', 'status')
      .addSelect('count(*)::int', 'count')
      .groupBy('r.status')
      .getRawMany<{ status: ReportStatus; count: number }>();
    return new Map(rows.map((r) => [r.status, r.count]));
  }

  async audit(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    // One INSERT (save() would wrap it in a transaction of its own: three round trips).
    await manager
      .createQueryBuilder()
      .insert()
      .into(PipelineEvent)
      .values({
        reportId: entry.reportId,
        stage: entry.stage,
        event: entry.event,
        reason: entry.reason,
        fromStatus: entry.fromStatus ?? null,
        toStatus: entry.toStatus ?? null,
        // jsonb: TypeORM's deep-partial type cannot follow Record<string, unknown>.
        details: (entry.details ?? {}) as QueryDeepPartialEntity<PipelineEvent['details']>,
      })
      .execute();
  }

  /**
   * Moves a report from `from` to `to` and audits it, atomically. Returns false, changing
   * nothing, when the report is no longer in `from` (another delivery of the job got there
   * first): that is how every stage stays safe to run twice. The pipeline's alone to call.
   */
  async transition(
    reportId: string,
    from: ReportStatus,
    to: ReportStatus,
    stage: string,
    reason: string,
    details: Record<string, unknown> = {},
    manager?: EntityManager,
  ): Promise<boolean> {
    assertTransition(from, to);
    if (!manager) {
      // The move and its audit row in one statement: atomic without a transaction's round trips.
      const rows = await this.db.query<{ id: string }[]>(
        `WITH moved AS (
           UPDATE reports SET status = $3::report_status, updated_at = CURRENT_TIMESTAMP
            WHERE id = $1 AND status = $2::report_status RETURNING id)
         INSERT INTO pipeline_events (report_id, stage, event, from_status, to_status, reason, details)
         SELECT id, $4, 'transition', $2, $3, $5, $6::jsonb FROM moved
         RETURNING id`,
        [reportId, from, to, stage, reason, JSON.stringify(details)],
      );
      return rows.length > 0;
    }
    const run = async (m: EntityManager) => {
      const result = await m
        .createQueryBuilder()
        .update(Report)
        .set({ status: to })
        .where('id = :reportId AND status = :from', { reportId, from })
        .execute();
      if (!result.affected) return false;
      await this.audit(
        { reportId, stage, event: 'transition', fromStatus: from, toStatus: to, reason, details },
        m,
      );
      return true;
    };
    return run(manager);
  }

  /** Those of these reports that belong to the project (their ids). */
  async idsInProject(
    projectId: string,
    ids: string[],
    manager: EntityManager = this.db.manager,
  ): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await manager
      .getRepository(Report)
      .find({ select: { id: true }, where: { projectId, id: In(ids) } });
    return rows.map((r) => r.id);
  }
}

/** A report as stored: the values sent with what PostgreSQL gave it (id, status, times). */
function storedReport(
  manager: EntityManager,
  values: NewReport,
  row: { id: string; status: ReportStatus; created_at: Date; updated_at: Date },
): Report {
  return manager.create(Report, {
    ...values,
    id: row.id,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
