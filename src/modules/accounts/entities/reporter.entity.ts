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
import { Account } from './account.entity';

/** A person who reports bugs. Identified by the customer's user id, or else by email. */
@Entity('reporters')
@Index('reporters_project_external_id', ['projectId', 'externalId'], {
  unique: true,
  where: '"external_id" IS NOT NULL',
})
@Index('reporters_project_email', ['projectId', 'email'], {
  unique: true,
  where: '"external_id" IS NULL AND "email" IS NOT NULL',
})
export class Reporter {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  /** Lower-cased. */
  @Column({ type: 'text', nullable: true })
  email!: string | null;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'text', nullable: true })
  externalId!: string | null;

  @Index()
  @Column({ type: 'uuid', nullable: true })
  accountId!: string | null;

  @ManyToOne(() => Account, { onDelete: 'SET NULL' })
  @JoinColumn()
  account?: Relation<Account> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
