import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { TRACKER_PROVIDERS, type TrackerProvider } from '../../projects/entities/project.entity';

/**
 * idle: no pass under way (the next run starts one); running: a pass is under way, its cursor
 * stored (it may be between runs); rate_limited: waiting for resumeAfter; failed: the last
 * page request failed (lastError), the next run retries from the cursor.
 */
export const SYNC_STATUSES = ['idle', 'running', 'rate_limited', 'failed'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/**
 * Where the mirror sync of one project's destination stands, committed after every page so a
 * crash or a restart continues from the cursor instead of starting over.
 */
@Entity('tracker_sync_state')
export class TrackerSyncState {
  @PrimaryColumn({ type: 'uuid' })
  projectId!: string;

  @PrimaryColumn({ type: 'enum', enum: TRACKER_PROVIDERS, enumName: 'mirror_provider' })
  provider!: TrackerProvider;

  /** The next page of the pass under way; null between passes. */
  @Column({ type: 'text', nullable: true })
  cursor!: string | null;

  /** The pass under way reads issues changed since this time; null for the initial sync. */
  @Column({ type: 'timestamptz', nullable: true })
  passSince!: Date | null;

  /** When the pass under way began: the watermark once it completes. */
  @Column({ type: 'timestamptz', nullable: true })
  passStartedAt!: Date | null;

  /** Every change before this time is mirrored; null until the initial sync completes. */
  @Column({ type: 'timestamptz', nullable: true })
  watermark!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastCompletedAt!: Date | null;

  @Column({ type: 'enum', enum: SYNC_STATUSES, enumName: 'tracker_sync_status', default: 'idle' })
  status!: SyncStatus;

  /** After a rate limit: no request to the vendor before this time. */
  @Column({ type: 'timestamptz', nullable: true })
  resumeAfter!: Date | null;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  /** Pages read by the pass under way (or the last one). */
  @Column({ type: 'integer', default: 0 })
  pagesSynced!: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
