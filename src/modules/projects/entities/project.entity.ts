import type { PolicyOverrides } from '../policy';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const TRACKER_PROVIDERS = ['builtin', 'linear', 'github'] as const;
export type TrackerProvider = (typeof TRACKER_PROVIDERS)[number];

@Entity('projects')
export class Project {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Stable handle; `default` is the project created on first run. */
  @Column({ type: 'text', unique: true })
  slug!: string;

  /** Public key the in-app widget embeds; identifies the project, grants nothing secret. */
  @Column({ type: 'text', unique: true })
  widgetKey!: string;

  /** Origins (`https://app.example.com`) whose pages may use the widget key. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  widgetAllowedOrigins!: string[];

  /** Whether the widget may show the reporter the ticket's key and link once filed. */
  @Column({ type: 'boolean', default: false })
  widgetShowTicketKey!: boolean;

  @Column({
    type: 'enum',
    enum: TRACKER_PROVIDERS,
    enumName: 'tracker_provider',
    default: 'builtin',
  })
  trackerProvider!: TrackerProvider;

  /** Non-secret destination settings (team, repo, labels). Credentials live in the environment. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  trackerConfig!: Record<string, unknown>;

  /** Set when the destination refused our credentials (401/403); jobs wait until it works again. */
  @Column({ type: 'text', nullable: true })
  trackerError!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  trackerErrorAt!: Date | null;

  /** What the triage agent may do alone; what it leaves out takes the operator's defaults. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  agentPolicy!: PolicyOverrides;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
