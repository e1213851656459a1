import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  OneToOne,
  PrimaryColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Report } from '../../reports/entities/report.entity';
import type { ScoredCandidate } from '../sentry-matcher';
import type { SentryAttachment } from '../sentry-attachment';

export const SENTRY_MATCH_STATUSES = ['matched', 'no_match', 'unavailable'] as const;
export type SentryMatchStatus = (typeof SENTRY_MATCH_STATUSES)[number];

/**
 * The Sentry issue behind a report, or why there is none. One row per report, written by the
 * analyze stage. `sentryIssueId` is indexed per project so dedupe can ask "which other reports
 * hit this issue?" cheaply.
 */
@Entity('sentry_matches')
@Index('sentry_matches_project_issue', ['projectId', 'sentryIssueId'], {
  where: '"sentry_issue_id" IS NOT NULL',
})
export class SentryMatch {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @OneToOne(() => Report, { onDelete: 'CASCADE' })
  @JoinColumn()
  report?: Relation<Report>;

  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({
    type: 'enum',
    enum: SENTRY_MATCH_STATUSES,
    enumName: 'sentry_match_status',
  })
  status!: SentryMatchStatus;

  /** Sentry's issue (group) id of the match. */
  @Column({ type: 'text', nullable: true })
  sentryIssueId!: string | null;

  @Column({ type: 'real', nullable: true })
  score!: number | null;

  /** What the ticket shows: the issue, its top frames, breadcrumbs, replay link. */
  @Column({ type: 'jsonb', nullable: true })
  issue!: SentryAttachment | null;

  /** Every candidate considered, best first (the match included), with scores and reasons. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  candidates!: ScoredCandidate[];

  /** Why matching could not finish (Sentry down, rate limited, refused the token). */
  @Column({ type: 'text', nullable: true })
  problem!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
