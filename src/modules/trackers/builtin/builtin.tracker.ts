import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import { SEVERITIES } from '../../../common/severity';
import type { Project } from '../../projects/entities/project.entity';
import type { TicketDraft, TrackerAdapter, TrackerIssue } from '../tracker';
import type { PriorityLevel } from '../../triage/engine/ticket/priority';
import { BuiltinComment } from './builtin-comment.entity';
import { BuiltinIssue } from './builtin-issue.entity';

export const BUILTIN_KEY_PREFIX = 'REPRO-';

/** A built-in ticket's states: open, done (resolved), or closed without a fix. */
export const BUILTIN_STATES = ['open', 'resolved', 'closed'] as const;
export type BuiltinState = (typeof BUILTIN_STATES)[number];

/** Repro's own tracker, in PostgreSQL: the destination when no Linear or GitHub is set up. */
@Injectable()
export class BuiltinTracker implements TrackerAdapter {
  readonly provider = 'builtin' as const;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async findByReport(project: Project, reportId: string): Promise<TrackerIssue | null> {
    const issue = await this.db
      .getRepository(BuiltinIssue)
      .findOneBy({ projectId: project.id, originReportId: reportId });
    return issue ? this.toIssue(issue) : null;
  }

  async createIssue(project: Project, draft: TicketDraft): Promise<TrackerIssue> {
    // The unique origin report makes a concurrent or repeated create return the first issue:
    // inserted, or the one already there, in one statement.
    const [row] = await this.db.query<Pick<BuiltinIssue, 'id' | 'number' | 'title' | 'state'>[]>(
      `WITH created AS (
         INSERT INTO builtin_issues (project_id, origin_report_id, title, body, priority)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING
         RETURNING id, number, title, state
       )
       SELECT id, number, title, state FROM created
       UNION ALL
       SELECT id, number, title, state FROM builtin_issues
        WHERE project_id = $1 AND origin_report_id = $2
       LIMIT 1`,
      [project.id, draft.reportId, draft.title, draft.body, draft.priority?.level ?? null],
    );
    // A twin inserted by a transaction that committed after this statement began is not in its
    // snapshot: read it now.
    const issue =
      row ??
      (await this.db
        .getRepository(BuiltinIssue)
        .findOneByOrFail({ projectId: project.id, originReportId: draft.reportId }));
    return this.toIssue(issue);
  }

  async addComment(issue: TrackerIssue, body: string, idempotencyKey: string): Promise<void> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(BuiltinComment)
      .values({ issueId: issue.externalId, body, idempotencyKey })
      .orIgnore()
      .execute();
  }

  /** Raises the issue's priority in one statement: a lower or equal level changes nothing. */
  async setPriority(issue: TrackerIssue, level: PriorityLevel): Promise<boolean> {
    const [, changed] = await this.db.query<[unknown[], number]>(
      `UPDATE builtin_issues SET priority = $2, updated_at = now()
        WHERE id = $1 AND (priority IS NULL
          OR array_position($3::text[], priority) > array_position($3::text[], $2))`,
      [issue.externalId, level, [...SEVERITIES]],
    );
    return changed > 0;
  }

  async comments(issueId: string): Promise<{ body: string; createdAt: string }[]> {
    const rows = await this.db
      .getRepository(BuiltinComment)
      .find({ where: { issueId }, order: { createdAt: 'ASC' } });
    return rows.map((c) => ({ body: c.body, createdAt: c.createdAt.toISOString() }));
  }

  /** The built-in states a person may set (PATCH /v1/tickets/:key). */
  async setState(manager: EntityManager, issueId: string, state: BuiltinState): Promise<void> {
    await manager.update(BuiltinIssue, { id: issueId }, { state });
  }

  async body(projectId: string, externalId: string): Promise<string | null> {
    const issue = await this.db
      .getRepository(BuiltinIssue)
      .findOneBy({ projectId, id: externalId });
    return issue?.body ?? null;
  }

  private toIssue(issue: Pick<BuiltinIssue, 'id' | 'number' | 'title' | 'state'>): TrackerIssue {
    const key = `${BUILTIN_KEY_PREFIX}${issue.number}`;
    return {
      externalId: issue.id,
      key,
      // The web app's ticket page for a signed-in person; GET /v1/tickets/:key serves API clients.
      url: `${this.config.PUBLIC_URL}/app/tickets/${encodeURIComponent(key)}`,
      title: issue.title,
      state: issue.state,
    };
  }
}
