import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Written (and committed) before a GitHub issue is created, so a retry after a crash finds it. */
@Entity('tracker_pending_creates')
export class PendingCreateRow {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  /** `owner/name`, lower-cased: an issue number only means something within its repository. */
  @PrimaryColumn({ type: 'text' })
  repo!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  /** Null until the create's answer was recorded. */
  @Column({ type: 'integer', nullable: true })
  issueNumber!: number | null;
}
