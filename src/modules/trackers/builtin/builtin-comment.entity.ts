import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A comment on a built-in tracker issue (duplicates announce themselves here). */
@Entity('builtin_comments')
export class BuiltinComment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  issueId!: string;

  /** A retried comment with the same key is stored once. */
  @Column({ type: 'text', unique: true })
  idempotencyKey!: string;

  @Column({ type: 'text' })
  body!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
