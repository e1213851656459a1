import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TRACKER_PROVIDERS, type TrackerProvider } from '../../projects/entities/project.entity';
import type { Severity } from '../../../common/severity';
import type { Priority, PriorityInput } from '../../triage/engine/ticket/priority';

/**
 * The priority Repro last gave a ticket, with what it was decided from: a duplicate's recompute
 * starts from the strongest severity, account and Sentry counts seen, so it never forgets one.
 */
export interface TicketPriority extends Priority {
  basis: {
    severity: Severity | null;
    /** What that severity rests on, when the engine said. */
    severityWhy?: string | null;
    account: PriorityInput['account'];
    sentry: PriorityInput['sentry'];
  };
}

/** Repro's record of a ticket in whichever tracker holds it. */
@Entity('tickets')
@Index('tickets_provider_external_id', ['projectId', 'provider', 'externalId'], { unique: true })
@Index('tickets_project_key', ['projectId', 'key'], { unique: true })
export class Ticket {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'enum', enum: TRACKER_PROVIDERS, enumName: 'ticket_provider' })
  provider!: TrackerProvider;

  /** The tracker's own id for the issue. */
  @Column({ type: 'text' })
  externalId!: string;

  /** What people call it: REPRO-12, ENG-431, acme/web#88. */
  @Column({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text' })
  title!: string;

  /** The tracker's state name, e.g. open, closed, In Progress. */
  @Column({ type: 'text' })
  state!: string;

  /** Set when Repro filed it and raised as duplicates join; null for issues Repro did not file. */
  @Column({ type: 'jsonb', nullable: true })
  priority!: TicketPriority | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
