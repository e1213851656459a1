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
@Index('recording_sessions_reporter_email', ['projectId', 'reporterEmail', 'updatedAt'], {
  where: `"reporter_email" IS NOT NULL`,
})
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

  /**
   * Who the recorded person said they are (the widget's identify(), or PUT on the session),
   * lower-cased: a mail from that address later can take the session as its evidence.
   */
  @Column({ type: 'text', nullable: true })
  reporterEmail!: string | null;

  @Column({ type: 'text', nullable: true })
  reporterExternalId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  /** The last chunk (or identity) stored: when the recorded session was last seen. */
  @Index('recording_sessions_updated')
  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
