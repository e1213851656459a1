import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode, NotFoundError } from '../../../common/errors';
import { JobName } from '../../../queue/queue.constants';
import { DedupeService } from '../../dedupe/dedupe.service';
import { Report } from '../../reports/entities/report.entity';
import { PipelineService } from '../pipeline.service';
import { ticketTitle } from '../../triage/engine/ticket/ticket-title';
import {
  FACT_KEYS,
  type FactPicture,
  type TicketProposal,
  type TraceStep,
} from '../../triage/engine/triage.types';
import type { DecisionDto, TicketEditsDto } from './decision.dto';
import { AgentStep } from '../../triage/entities/agent-step.entity';
import { type HumanDecision, ReportTriage } from '../../triage/entities/report-triage.entity';

export interface TraceView {
  reportId: string;
  engine: string | null;
  fallbackReason: string | null;
  totals: { steps: number; tokensIn: number; tokensOut: number; tokensCached: number };
  steps: (Omit<TraceStep, 'engine'> & { engine: string; run: number; seq: number; at: string })[];
}

/** A person's decision on a report waiting for one, and the agent's trace for them to read. */
@Injectable()
export class DecisionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly pipeline: PipelineService,
    private readonly dedupe: DedupeService,
  ) {}

  async trace(projectId: string, reportId: string): Promise<TraceView> {
    await this.report(projectId, reportId);
    const triage = await this.db.getRepository(ReportTriage).findOneBy({ reportId });
    const steps = await this.db.getRepository(AgentStep).find({
      where: { reportId },
      order: { run: 'ASC', seq: 'ASC' },
    });
    const sum = (pick: (s: AgentStep) => number) => steps.reduce((n, s) => n + pick(s), 0);
    return {
      reportId,
      engine: triage?.engine ?? null,
      fallbackReason: triage?.fallbackReason ?? null,
      totals: {
        steps: steps.length,
        tokensIn: sum((s) => s.tokensIn),
        tokensOut: sum((s) => s.tokensOut),
        tokensCached: sum((s) => s.tokensCached),
      },
      steps: steps.map(({ id: _id, reportId: _report, createdAt, ...step }) => ({
        ...step,
        at: createdAt.toISOString(),
      })),
    };
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
        const merged = await this.dedupe.mergeIntoKey(
          report.id,
          projectId,
          dto.target!,
          `merged by a person${dto.reason ? `: ${dto.reason}` : ''}`,
        );
        if (!merged) {
          throw new DomainError(404, ErrorCode.NotFound, `Ticket ${dto.target} not found.`, {
            field: 'target',
          });
        }
        await this.record(report, human, null);
        return this.status(report.id);
      }
      case 'reject': {
        const moved = await this.db.transaction(async (manager) => {
          await this.record(report, human, null, manager);
          return this.pipeline.transition(
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
    const triage = await this.db.getRepository(ReportTriage).findOneBy({ reportId: report.id });
    const proposal = edits ? applyEdits(triage?.proposal ?? null, report, edits) : null;
    const moved = await this.db.transaction(async (manager) => {
      await this.record(report, human, proposal, manager);
      return this.pipeline.transition(
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
    await this.pipeline.enqueue(JobName.FileTicket, report.id);
    return this.status(report.id);
  }

  /** Stores the decision (and the edited proposal) with the report's triage record. */
  private async record(
    report: Report,
    human: HumanDecision,
    proposal: TicketProposal | null,
    manager = this.db.manager,
  ): Promise<void> {
    const repo = manager.getRepository(ReportTriage);
    const existing = await repo.findOneBy({ reportId: report.id });
    await repo.upsert(
      {
        reportId: report.id,
        projectId: report.projectId,
        engine: existing?.engine ?? 'none',
        facts: existing?.facts ?? emptyFacts(),
        humanDecision: human,
        ...(proposal ? { proposal } : {}),
      },
      ['reportId'],
    );
  }

  private async report(projectId: string, reportId: string): Promise<Report> {
    const report = await this.db.getRepository(Report).findOneBy({ id: reportId, projectId });
    if (!report) throw new NotFoundError('Report');
    return report;
  }

  private async status(reportId: string): Promise<{ id: string; status: string }> {
    const report = await this.db.getRepository(Report).findOneByOrFail({ id: reportId });
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

function emptyFacts(): FactPicture {
  return Object.fromEntries(FACT_KEYS.map((k) => [k, null])) as FactPicture;
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
