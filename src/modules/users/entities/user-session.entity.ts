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
import { User } from './user.entity';

/** A signed-in browser. The cookie holds the token; only its SHA-256 is stored. */
@Entity('user_sessions')
export class UserSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** SHA-256 (hex) of the cookie's token: 256 random bits, so a fast hash is enough. */
  @Column({ type: 'text', unique: true })
  tokenHash!: string;

  @Index()
  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn()
  user?: Relation<User>;

  /** Sent back in X-CSRF-Token on every write with the cookie. */
  @Column({ type: 'text' })
  csrfToken!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  /** Renewed as the session is used (at most once a minute); idle past SESSION_IDLE_MINUTES, it ends. */
  @Column({ type: 'timestamptz' })
  lastSeenAt!: Date;

  /** SESSION_MAX_HOURS after sign-in, however busy. */
  @Index()
  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'text', nullable: true })
  userAgent!: string | null;
}
