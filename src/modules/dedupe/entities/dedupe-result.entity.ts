import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ScoredCandidate } from '../dedupe-scorer';

export const DEDUPE_DECISIONS = ['duplicate', 'possible_duplicate', 'new'] as const;
export type DedupeDecision = (typeof DEDUPE_DECISIONS)[number];

/** The dedupe stage's decision for a report, with the candidates it weighed and why. */
@Entity('dedupe_results')
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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
