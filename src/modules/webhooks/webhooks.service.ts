import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { PipelineService } from '../pipeline/pipeline.service';
import { Project } from '../projects/entities/project.entity';
import { DEFAULT_PROJECT_SLUG } from '../projects/projects.service';
import { NotFoundError } from '../../common/errors';
import type { IssueChange } from './webhook-payloads';
import { upsertMirroredIssue } from '../trackers/mirror/mirror-store';
import { canTransition, type ReportStatus } from '../reports/report-state-machine';

export type ApplyResult =
  { status: 'applied'; mirrored: boolean; ticketsUpdated: number } | { status: 'replay' };

interface ChangedTicket {
  id: string;
  key: string;
  previous: string;
}

/**
 * Applies verified webhook deliveries: records the delivery (so a replay is ignored), keeps
 * the `tracker_issues` mirror current, and follows state changes of Repro's own tickets into
 * the linked reports' history.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly pipeline: PipelineService,
  ) {}

  /** Webhooks belong to the default project: the one whose destination comes from the environment. */
  private async defaultProjectId(manager: EntityManager): Promise<string> {
    const project = await manager.getRepository(Project).findOneBy({ slug: DEFAULT_PROJECT_SLUG });
    if (!project) throw new NotFoundError('The default project');
    return project.id;
  }

  async apply(
    provider: IssueChange['provider'],
    deliveryId: string,
    event: string,
    change: IssueChange,
  ): Promise<ApplyResult> {
    return this.db.transaction(async (manager) => {
      // First, so that a concurrent or later copy of this delivery finds it and stops here.
      const recorded = await manager.query<unknown[]>(
        `INSERT INTO webhook_deliveries (provider, delivery_id, event) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING delivery_id`,
        [provider, deliveryId, event],
      );
      if (recorded.length === 0) return { status: 'replay' };

      const projectId = await this.defaultProjectId(manager);
      const mirrored = change.removed
        ? await this.markRemoved(manager, projectId, change)
        : await upsertMirroredIssue(manager, projectId, change.provider, change);
      // An update older than what the mirror holds says nothing new about our ticket either.
      const ticketsUpdated =
        mirrored || change.removed
          ? await this.followTicket(manager, projectId, change, deliveryId)
          : 0;
      return { status: 'applied', mirrored, ticketsUpdated };
    });
  }

  /**
   * Deleted issues stay in the mirror, closed, so that a late update of the same issue cannot
   * bring it back; one the mirror never held is not inserted.
   */
  private async markRemoved(
    manager: EntityManager,
    projectId: string,
    change: IssueChange,
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

  /**
   * When the issue is one of Repro's tickets and its state changed, records the new state and
   * moves every linked report with it (resolved, closed, or back on reopening), each change in
   * the report's history.
   */
  private async followTicket(
    manager: EntityManager,
    projectId: string,
    change: IssueChange,
    deliveryId: string,
  ): Promise<number> {
    const [tickets] = await manager.query<[ChangedTicket[], number]>(
      `UPDATE tickets t SET state = $4, updated_at = now()
       FROM (SELECT id, state FROM tickets
             WHERE project_id = $1 AND provider = $2 AND external_id = $3 FOR UPDATE) previous
       WHERE t.id = previous.id AND previous.state <> $4
       RETURNING t.id, t.key, previous.state AS previous`,
      [projectId, change.provider, change.externalId, change.state],
    );
    for (const ticket of tickets) {
      const links = await manager.query<
        { report_id: string; relation: 'created' | 'duplicate'; status: ReportStatus }[]
      >(
        `SELECT l.report_id, l.relation, r.status FROM report_tickets l JOIN reports r ON r.id = l.report_id
          WHERE l.ticket_id = $1 ORDER BY l.report_id`,
        [ticket.id],
      );
      const detail = change.stateDetail ? ` (${change.stateDetail})` : '';
      const reason = `${ticket.key} moved to ${change.state}${detail}`;
      const details = {
        ticketId: ticket.id,
        ticketKey: ticket.key,
        provider: change.provider,
        from: ticket.previous,
        to: change.state,
        stateDetail: change.stateDetail,
        open: change.open,
        deliveryId,
      };
      for (const { report_id: reportId, relation, status } of links) {
        const target = reportStatusFor(change, relation);
        if (target !== status && canTransition(status, target)) {
          await this.pipeline.transition(
            reportId,
            status,
            target,
            'tracker',
            reason,
            details,
            manager,
          );
        } else {
          await this.pipeline.audit(
            { reportId, stage: 'tracker', event: 'ticket_state', reason, details },
            manager,
          );
        }
      }
    }
    return tickets.length;
  }
}

/**
 * The report status a ticket state means: done → resolved; closed without a fix (cancelled,
 * not planned, deleted) → closed; open again → back to how the report reached the ticket.
 */
export function reportStatusFor(
  change: IssueChange,
  relation: 'created' | 'duplicate',
): ReportStatus {
  if (change.open) return relation === 'created' ? 'filed' : 'duplicate';
  const detail = (change.stateDetail ?? '').toLowerCase();
  if (change.removed || ['canceled', 'cancelled', 'not_planned', 'duplicate'].includes(detail))
    return 'closed';
  return 'resolved';
}
