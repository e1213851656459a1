import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One piece of a recording session, as uploaded: gzip of a JSON array of rrweb events. */
@Entity('recording_chunks')
@Index('recording_chunks_session_seq', ['projectId', 'sessionId', 'seq'], { unique: true })
export class RecordingChunk {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'text' })
  sessionId!: string;

  /** Order within the session; chunks are assembled by it, whatever order they arrived in. */
  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'bytea', select: false })
  dataGz!: Buffer;

  @Column({ type: 'integer' })
  compressedSize!: number;

  /** Size of the inflated JSON. */
  @Column({ type: 'integer' })
  byteSize!: number;

  @Column({ type: 'integer' })
  eventCount!: number;

  /** SHA-256 of the inflated JSON: a retried chunk with the same content is the same chunk. */
  @Column({ type: 'text' })
  contentHash!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
