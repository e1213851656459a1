import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type { Project } from '../../projects/entities/project.entity';

/** Events an endpoint can subscribe to; values are part of the public payload, never rename. */
export const WEBHOOK_EVENTS = [
  'report.filed',
  'report.duplicate',
  'report.resolved',
  'report.closed',
  'report.needs_human',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A project's outgoing webhook target, with its own signing secret. */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('webhook_endpoints_project')
  @Column({ type: 'uuid' })
  projectId!: string;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_webhook_endpoints_project' })
  project?: Relation<Project>;

  @Column({ type: 'text' })
  url!: string;

  /** `whsec_…`, shown once at creation; never logged, listed or put in an error. */
  @Column({ type: 'text', select: false })
  secret!: string;

  /** Empty: every event. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  events!: string[];

  @Column({ type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  disabledReason!: string | null;

  /** Failed attempts since the last delivered one. */
  @Column({ type: 'int', default: 0 })
  consecutiveFailures!: number;

  /** When the current run of failures began; null after a success. */
  @Column({ type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
