import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Project } from './project.entity';

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => Project, { onDelete: 'CASCADE' })
  @JoinColumn()
  project?: Relation<Project>;

  /** The non-secret start of the key, shown in listings and used to revoke it. */
  @Column({ type: 'text', unique: true })
  prefix!: string;

  /** SHA-256 of the whole key. Keys carry 256 bits of randomness, so a fast hash is enough. */
  @Column({ type: 'text' })
  keyHash!: string;

  @Column({ type: 'text', nullable: true })
  label!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** When the key last authenticated a request, to the minute or so (null: never). */
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
