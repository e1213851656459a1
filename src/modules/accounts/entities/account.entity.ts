import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A customer company. Reports from its people are linked to it on every ticket. */
@Entity('accounts')
@Index(['projectId', 'externalId'], { unique: true })
export class Account {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  /** The customer's own id for the account (from the widget or API caller). */
  @Column({ type: 'text' })
  externalId!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  emailDomains!: string[];

  @Column({ type: 'text', nullable: true })
  tier!: string | null;

  /** Annual revenue in the account's currency; numeric keeps cents exact. */
  @Column({ type: 'numeric', precision: 14, scale: 2, nullable: true })
  revenue!: string | null;

  @Column({ type: 'text', nullable: true })
  crmUrl!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
