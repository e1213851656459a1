import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
// Named, not imported: the kernel knows reports belong to people, not the accounts module.
import type { Account } from '../../accounts/entities/account.entity';
import type { Reporter } from '../../accounts/entities/reporter.entity';
import { REPORT_STATUSES, type ReportStatus } from '../report-state-machine';

export const REPORT_SOURCES = ['widget', 'email', 'api'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

export interface ClientInfo {
  userAgent?: string;
  viewport?: { width: number; height: number };
  locale?: string;
  timezone?: string;
}

export interface SentryRefs {
  eventId?: string;
  replayId?: string;
  traceId?: string;
}

@Entity('reports')
@Index('reports_project_idempotency_key', ['projectId', 'idempotencyKey'], {
  unique: true,
  where: '"idempotency_key" IS NOT NULL',
})
@Index('reports_active_by_update', ['status', 'updatedAt'])
@Index('reports_project_created', ['projectId', 'createdAt'])
// Written by hand in migration TriageInbox (expression indexes): the inbox's order and its text
// search. Declared so that migration:generate leaves them alone.
@Index('reports_inbox', { synchronize: false })
@Index('reports_description_search', { synchronize: false })
export class Report {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'enum', enum: REPORT_SOURCES, enumName: 'report_source' })
  source!: ReportSource;

  /** The reporter's own words, unedited. */
  @Column({ type: 'text' })
  description!: string;

  /**
   * The first line (weight A) and the start of the description (weight B), stemmed, for dedupe's
   * search of reports in flight. Kept by a trigger (migration ReportSearch); never read here.
   */
  @Column({ type: 'tsvector', nullable: true, select: false, insert: false, update: false })
  search?: string;

  /**
   * The first line, lowercased, without its ids (`dedupe/identifiers.ts`): what dedupe's title
   * similarity compares. Kept by the same trigger (migration ReportTitleKey); never read here.
   */
  @Column({ type: 'text', nullable: true, select: false, insert: false, update: false })
  titleKey?: string;

  @Column({ type: 'text', nullable: true })
  pageUrl!: string | null;

  @Column({ type: 'text', nullable: true })
  pageTitle!: string | null;

  @Column({ type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  client!: ClientInfo;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  sentry!: SentryRefs;

  @Column({ type: 'enum', enum: REPORT_STATUSES, enumName: 'report_status', default: 'received' })
  status!: ReportStatus;

  @Column({ type: 'uuid', nullable: true })
  reporterId!: string | null;

  @ManyToOne('Reporter', { onDelete: 'SET NULL' })
  @JoinColumn()
  reporter?: Relation<Reporter> | null;

  @Index()
  @Column({ type: 'uuid', nullable: true })
  accountId!: string | null;

  @ManyToOne('Account', { onDelete: 'SET NULL' })
  @JoinColumn()
  account?: Relation<Account> | null;

  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** SHA-256 of the request body, so a reused Idempotency-Key with another body is refused. */
  @Column({ type: 'text', nullable: true })
  requestHash!: string | null;

  /** SHA-256 of the reporter's conversation token (the token itself is never stored). */
  @Column({ type: 'text', nullable: true, select: false })
  reporterTokenHash!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
