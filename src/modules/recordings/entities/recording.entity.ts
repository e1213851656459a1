import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  OneToOne,
  PrimaryGeneratedColumn,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Report } from '../../reports/entities/report.entity';
import type { RecordingAnalysis } from '../analyzer/types';

export const RECORDING_STATUSES = ['pending', 'stored', 'refused', 'unusable'] as const;
/**
 * pending: named by the report, chunks not analysed yet; refused: over a limit; unusable: kept,
 * but it could not be analysed (refusedReason says why), so the report went on without it.
 */
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/** A report's rrweb recording: which session holds its chunks, and what the analysis found. */
@Entity('recordings')
export class Recording {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  reportId!: string;

  @OneToOne(() => Report, { onDelete: 'CASCADE' })
  @JoinColumn()
  report?: Relation<Report>;

  /** The chunks' session; for events sent inline with the report, the report id. */
  @Index('recordings_session')
  @Column({ type: 'text' })
  sessionId!: string;

  @Column({
    type: 'enum',
    enum: RECORDING_STATUSES,
    enumName: 'recording_status',
    default: 'pending',
  })
  status!: RecordingStatus;

  /** Why the recording was refused or is unusable. */
  @Column({ type: 'text', nullable: true })
  refusedReason!: string | null;

  /** Size of the uncompressed JSON. */
  @Column({ type: 'bigint', default: 0 })
  byteSize!: string;

  @Column({ type: 'bigint', default: 0 })
  compressedSize!: string;

  @Column({ type: 'integer', default: 0 })
  eventCount!: number;

  /** From the first event's timestamp to the last's. */
  @Column({ type: 'integer', default: 0 })
  durationMs!: number;

  /** The analyzer's output (steps, errors, failed requests, signals, failure moment). */
  @Column({ type: 'jsonb', nullable: true })
  analysis!: RecordingAnalysis | null;

  @Column({ type: 'timestamptz', nullable: true })
  analyzedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
