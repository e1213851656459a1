import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A recording being streamed in chunks, with running totals checked against the limits. */
@Entity('recording_sessions')
@Index('recording_sessions_project_session', ['projectId', 'sessionId'], { unique: true })
export class RecordingSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'text' })
  sessionId!: string;

  @Column({ type: 'bigint', default: 0 })
  compressedBytes!: string;

  @Column({ type: 'bigint', default: 0 })
  inflatedBytes!: string;

  @Column({ type: 'integer', default: 0 })
  chunkCount!: number;

  /** Set once a chunk took the session over a limit; later chunks are refused at once. */
  @Column({ type: 'text', nullable: true })
  refusedReason!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
