import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ReportStatus } from '../report-state-machine';

/** The audit log: one row per stage, transition and decision, never updated. */
@Entity('pipeline_events')
@Index(['reportId', 'id'])
export class PipelineEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'uuid' })
  reportId!: string;

  /** analyze, clarify, dedupe, file, reconcile, intake... */
  @Column({ type: 'text' })
  stage!: string;

  /** What happened: transition, decision, retry, requeued, error. */
  @Column({ type: 'text' })
  event!: string;

  // Plain text: an audit row must stay readable even if a status is renamed later.
  @Column({ type: 'text', nullable: true })
  fromStatus!: ReportStatus | null;

  @Column({ type: 'text', nullable: true })
  toStatus!: ReportStatus | null;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
