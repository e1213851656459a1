import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { PersonRole } from '../../projects/current-project';

export const PERSON_ROLES = ['admin', 'member'] as const satisfies readonly PersonRole[];

/** A person who signs in to the app with an email and a password. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Lower-cased; unique. */
  @Column({ type: 'text', unique: true })
  email!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  /** argon2id (PHC string); loaded only where a password is checked. */
  @Column({ type: 'text', select: false })
  passwordHash!: string;

  @Column({ type: 'text' })
  role!: PersonRole;

  /** A disabled person cannot sign in, and their sessions stop working. */
  @Column({ type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
