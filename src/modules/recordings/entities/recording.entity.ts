import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  OneToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Report } from '../../intake/entities/report.entity';

/** An rrweb session recording, stored gzip-compressed. */
@Entity('recordings')
export class Recording {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  reportId!: string;

  @OneToOne(() => Report, { onDelete: 'CASCADE' })
  @JoinColumn()
  report?: Relation<Report>;

  /** gzip of the JSON array of rrweb events. Loaded only when asked for. */
  @Column({ type: 'bytea', select: false })
  eventsGz!: Buffer;

  /** Size of the uncompressed JSON. */
  @Column({ type: 'integer' })
  byteSize!: number;

  @Column({ type: 'integer' })
  compressedSize!: number;

  @Column({ type: 'integer' })
  eventCount!: number;

  /** From the first event's timestamp to the last's. */
  @Column({ type: 'integer' })
  durationMs!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
