import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TRACKER_PROVIDERS, type TrackerProvider } from '../../projects/entities/project.entity';

/**
 * The mirror of the destination's issues, kept by an initial sync, webhooks and a periodic
 * reconciliation, so that dedupe can search every open issue in PostgreSQL.
 */
@Entity('tracker_issues')
@Index('tracker_issues_project_external', ['projectId', 'provider', 'externalId'], { unique: true })
@Index('tracker_issues_open', ['projectId', 'open'])
// Dedupe's full-text (whole issue, title alone) and title-trigram indexes (GIN, open issues only)
// are made by hand in migrations: TypeORM cannot express them, so it is told to leave them be.
@Index('tracker_issues_search', { synchronize: false })
@Index('tracker_issues_title_trgm', { synchronize: false })
@Index('tracker_issues_title_search', { synchronize: false })
export class TrackerIssueRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'enum', enum: TRACKER_PROVIDERS, enumName: 'mirror_provider' })
  provider!: TrackerProvider;

  /** The tracker's id (Linear issue id, GitHub node_id). */
  @Column({ type: 'text' })
  externalId!: string;

  /** ENG-431, acme/web#88. */
  @Column({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text', default: '' })
  body!: string;

  /** The tracker's own state name (Todo, In Progress, open, closed). */
  @Column({ type: 'text' })
  state!: string;

  /** Not done, closed or cancelled. */
  @Column({ type: 'boolean' })
  open!: boolean;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  labels!: string[];

  /**
   * Title (weight A) and the start of the body (weight B), stemmed, for dedupe's search. Kept by
   * a trigger (see the Dedupe migration), so every writer gets it right without thinking of it.
   */
  @Column({ type: 'tsvector', nullable: true, select: false, insert: false, update: false })
  search?: string;

  /** The title's words alone (weight A), kept by the same trigger: short, so cheap to search. */
  @Column({ type: 'tsvector', nullable: true, select: false, insert: false, update: false })
  titleSearch?: string;

  /** The tracker's last-modified time; an older update never overwrites a newer one. */
  @Column({ type: 'timestamptz' })
  remoteUpdatedAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
