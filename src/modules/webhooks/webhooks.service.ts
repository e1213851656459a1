import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../../common/errors';
import { PipelineService } from '../pipeline/pipeline.service';
import { ProjectsService } from '../projects/projects.service';
import { TicketsService } from '../trackers/tickets.service';
import type { IssueChange } from './webhook-payloads';

export type ApplyResult =
  { status: 'applied'; mirrored: boolean; ticketsUpdated: number } | { status: 'replay' };

/**
 * Applies verified webhook deliveries, each in one transaction: records the delivery (so a
 * replay is ignored), hands the issue's news to the trackers module (mirror and tickets), and
 * the tickets it moved to the pipeline, which moves the linked reports.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
    private readonly tickets: TicketsService,
    private readonly pipeline: PipelineService,
  ) {}

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

      // Webhooks belong to the default project: the one whose destination comes from the environment.
      const project = await this.projects.defaultProject();
      if (!project) throw new NotFoundError('The default project');
      const { mirrored, tickets } = await this.tickets.applyIssueChange(
        manager,
        project.id,
        change,
      );
      await this.pipeline.ticketsChanged(manager, change, tickets, deliveryId);
      return { status: 'applied', mirrored, ticketsUpdated: tickets.length };
    });
  }
}
