import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { TriageDecision, FactPicture, TicketProposal } from '../engine/triage.types';
import type { RedactionCounts } from '../../../privacy/redaction';

/** A person's decision on a report the agent handed over. */
export interface HumanDecision {
  action: 'approve' | 'approve_with_edits' | 'merge' | 'reject';
  reason: string | null;
  target: string | null;
  at: string;
}

/** What the agent knows about a report, what it proposed, and where the conversation stands. */
@Entity('report_triage')
export class ReportTriage {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  /** The engine that decided last: deterministic or llm. */
  @Column({ type: 'text' })
  engine!: string;

  @Column({ type: 'jsonb' })
  facts!: FactPicture;

  /** The ticket the agent proposes (a person's edits replace it). */
  @Column({ type: 'jsonb', nullable: true })
  proposal!: TicketProposal | null;

  @Column({ type: 'jsonb', nullable: true })
  decision!: TriageDecision | null;

  @Column({ type: 'real', nullable: true })
  confidence!: number | null;

  /** Why the LLM engine gave way to the deterministic one, on the last run. */
  @Column({ type: 'text', nullable: true })
  fallbackReason!: string | null;

  /** Agent runs so far; each run's steps carry its number. */
  @Column({ type: 'int', default: 0 })
  runs!: number;

  @Column({ type: 'int', default: 0 })
  questionsAsked!: number;

  /** Set when the reporter did not answer in time: no more questions. */
  @Column({ type: 'timestamptz', nullable: true })
  clarifyClosedAt!: Date | null;

  /** Redactions by type over the text the agent read (counts only, never values). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  redactions!: RedactionCounts;

  @Column({ type: 'jsonb', nullable: true })
  humanDecision!: HumanDecision | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
