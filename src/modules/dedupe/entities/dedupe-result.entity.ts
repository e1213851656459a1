import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ScoredCandidate } from '../dedupe-scorer';

export const DEDUPE_DECISIONS = ['duplicate', 'possible_duplicate', 'new'] as const;
export type DedupeDecision = (typeof DEDUPE_DECISIONS)[number];

/** The dedupe stage's decision for a report, with the candidates it weighed and why. */
@Entity('dedupe_results')
@Index('dedupe_results_project_new', ['projectId', 'decidedSeq'], { where: "decision = 'new'" })
export class DedupeResult {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'enum', enum: DEDUPE_DECISIONS, enumName: 'dedupe_decision' })
  decision!: DedupeDecision;

  @Column({ type: 'real', nullable: true })
  score!: number | null;

  /** Best first, with their scores and reasons. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  candidates!: ScoredCandidate[];

  /**
   * Numbers the project's decisions in the order they were made (set again when a decision is
   * recorded again): dedupe's turn looks only at what was decided after its own search.
   */
  @Column({
    type: 'bigint',
    default: () => "nextval('dedupe_decided_seq')",
    select: false,
    insert: false,
    update: false,
  })
  decidedSeq?: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
