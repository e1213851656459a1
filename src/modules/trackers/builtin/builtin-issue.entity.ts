import {
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** The built-in tracker's own storage: what Linear or GitHub hold when they are the destination. */
@Entity('builtin_issues')
export class BuiltinIssue {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  projectId!: string;

  /** Human number: REPRO-<number>. */
  @Column({ type: 'integer', unique: true })
  @Generated('increment')
  number!: number;

  /** The report that created it; unique so that a retried filing finds it instead of a twin. */
  @Column({ type: 'uuid', unique: true })
  originReportId!: string;

  @Column({ type: 'text' })
  title!: string;

  /** Markdown. */
  @Column({ type: 'text' })
  body!: string;

  /** urgent, high, medium or low, as Linear's priority field; null for issues filed before it. */
  @Column({ type: 'text', nullable: true })
  priority!: string | null;

  @Column({ type: 'text', default: 'open' })
  state!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
