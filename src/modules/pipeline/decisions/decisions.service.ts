import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode, NotFoundError } from '../../../common/errors';
import type { Report } from '../../reports/entities/report.entity';
import { ReportsService } from '../../reports/reports.service';
import { TicketsService } from '../../trackers/tickets.service';
import { ticketTitle } from '../../triage/engine/ticket/ticket-title';
import type { TicketProposal } from '../../triage/engine/triage.types';
import type { HumanDecision } from '../../triage/entities/report-triage.entity';
import { type TraceView, TriageService } from '../../triage/triage.service';

export type { TraceView };
import { PipelineService } from '../pipeline.service';
import type { DecisionDto, TicketEditsDto } from './decision.dto';

/** A person's decision on a report waiting for one, and the agent's trace for them to read. */
@Injectable()
export class DecisionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly pipeline: PipelineService,
    private readonly reports: ReportsService,
    private readonly triage: TriageService,
    private readonly tickets: TicketsService,
  ) {}

  async trace(projectId: string, reportId: string): Promise<TraceView> {
    await this.report(projectId, reportId);
    return this.triage.trace(reportId);
  }

  async decide(
    projectId: string,
    reportId: string,
    dto: DecisionDto,
  ): Promise<{ id: string; status: string }> {
    const report = await this.report(projectId, reportId);
    this.assertAwaiting(report.status);
    const human: HumanDecision = {
      action: dto.action,
      reason: dto.reason ?? null,
      target: dto.target ?? null,
      at: new Date().toISOString(),
    };
    switch (dto.action) {
      case 'approve':
      case 'approve_with_edits':
        return this.approve(
          report,
          human,
          dto.action === 'approve_with_edits' ? dto.ticket : undefined,
        );
      case 'merge': {
        // Into a ticket Repro filed or any open issue in the mirror, by key.
        const ticketId = await this.tickets.ticketForKey(projectId, dto.target!);
        if (ticketId) {
          await this.pipeline.merge(
            report.id,
            ticketId,
            `merged by a person${dto.reason ? `: ${dto.reason}` : ''}`,
          );
        } else {
          throw new DomainError(404, ErrorCode.NotFound, `Ticket ${dto.target} not found.`, {
            field: 'target',
          });
        }
        await this.triage.recordDecision(this.db.manager, report, human, null);
        return this.status(report.id);
      }
      case 'reject': {
        const moved = await this.db.transaction(async (manager) => {
          await this.triage.recordDecision(manager, report, human, null);
          return this.reports.transition(
            report.id,
            'needs_human',
            'rejected',
            'decision',
            `Rejected by a person: ${dto.reason}`,
            {},
            manager,
          );
        });
        if (!moved) this.assertAwaiting((await this.status(report.id)).status);
        return this.status(report.id);
      }
    }
  }

  private async approve(
    report: Report,
    human: HumanDecision,
    edits: TicketEditsDto | undefined,
  ): Promise<{ id: string; status: string }> {
    const triage = await this.triage.record(report.id);
    const proposal = edits ? applyEdits(triage?.proposal ?? null, report, edits) : null;
    const moved = await this.db.transaction(async (manager) => {
      await this.triage.recordDecision(manager, report, human, proposal);
      return this.reports.transition(
        report.id,
        'needs_human',
        'filing',
        'decision',
        edits
          ? `Approved by a person with edits to ${Object.keys(edits).join(', ') || 'nothing'}`
          : 'Approved by a person',
        { edited: edits ? Object.keys(edits) : [] },
        manager,
      );
    });
    if (!moved) this.assertAwaiting((await this.status(report.id)).status);
    await this.pipeline.enqueueFor('filing', report.id);
    return this.status(report.id);
  }

  private async report(projectId: string, reportId: string): Promise<Report> {
    const report = await this.reports.findInProject(projectId, reportId);
    if (!report) throw new NotFoundError('Report');
    return report;
  }

  private async status(reportId: string): Promise<{ id: string; status: string }> {
    const report = await this.reports.get(reportId);
    return { id: report.id, status: report.status };
  }

  private assertAwaiting(status: string): void {
    if (status === 'needs_human') return;
    throw new DomainError(
      409,
      ErrorCode.NotAwaitingDecision,
      `The report is ${status}; only a report waiting for a person (needs_human) takes a decision.`,
      { field: 'status', status },
    );
  }
}

/** The proposal with a person's edits over it (a report without a proposal starts from its words). */
export function applyEdits(
  proposal: TicketProposal | null,
  report: Pick<Report, 'description'>,
  edits: TicketEditsDto,
): TicketProposal {
  const base: TicketProposal = proposal ?? {
    title: ticketTitle(report.description, null),
    summary: '',
    steps: [],
    expected: null,
    actual: null,
    severity: 'medium',
    labels: [],
  };
  return {
    title: edits.title ?? base.title,
    summary: edits.summary ?? base.summary,
    steps: edits.steps ?? base.steps,
    expected: edits.expected ?? base.expected,
    actual: edits.actual ?? base.actual,
    severity: edits.severity ?? base.severity,
    labels: edits.labels ?? base.labels,
  };
}
