import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One step of the agent's work on a report, as `GET /v1/reports/:id/trace` shows it. */
@Entity('agent_steps')
@Index('agent_steps_by_report', ['reportId', 'run', 'seq'])
export class TriageStep {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  reportId!: string;

  /** Which run of the agent on this report (1 on arrival, 2 after the first answer…). */
  @Column({ type: 'int' })
  run!: number;

  @Column({ type: 'int' })
  seq!: number;

  @Column({ type: 'text' })
  engine!: string;

  @Column({ type: 'text' })
  tool!: string;

  /** Redacted. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  arguments!: Record<string, unknown>;

  @Column({ type: 'text' })
  result!: string;

  @Column({ type: 'int', default: 0 })
  tokensIn!: number;

  @Column({ type: 'int', default: 0 })
  tokensOut!: number;

  @Column({ type: 'int', default: 0 })
  tokensCached!: number;

  @Column({ type: 'int', default: 0 })
  latencyMs!: number;

  @Column({ type: 'text', default: '' })
  reason!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
