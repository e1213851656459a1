import type { PolicyOverrides } from '../policy';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** What a mail from someone not on the staff list becomes. */
export const EMAIL_UNKNOWN_SENDERS = ['report', 'refuse'] as const;
export type EmailUnknownSenders = (typeof EMAIL_UNKNOWN_SENDERS)[number];

/** Who the agent's questions about a forwarded mail go to (the outbound slice reads it). */
export const EMAIL_QUESTIONS_TO = ['reporter', 'forwarder'] as const;
export type EmailQuestionsTo = (typeof EMAIL_QUESTIONS_TO)[number];

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

  /** Addresses (`ana@acme.com`) and domains (`@acme.com`) whose forwards are trusted as staff. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  emailStaffSenders!: string[];

  @Column({ type: 'text', default: 'report' })
  emailUnknownSenders!: EmailUnknownSenders;

  /** Email domain → account id (`{ "customer.io": "acct_42" }`), for reporters by email. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  emailDomainAccounts!: Record<string, string>;

  @Column({ type: 'text', default: 'reporter' })
  emailQuestionsTo!: EmailQuestionsTo;

  /** SHA-256 of the basic-auth password Postmark's inbound webhook URL carries (null: off). */
  @Column({ type: 'text', nullable: true, select: false })
  emailPostmarkPasswordHash!: string | null;

  /** SHA-256 of the basic-auth password SendGrid's Inbound Parse URL carries (null: off). */
  @Column({ type: 'text', nullable: true, select: false })
  emailSendgridPasswordHash!: string | null;

  /** Mailgun's webhook signing key (kept as given: the HMAC needs it; null: off). */
  @Column({ type: 'text', nullable: true, select: false })
  emailMailgunSigningKey!: string | null;

  /**
   * SendGrid's Inbound Parse verification key (base64 P-256 SubjectPublicKeyInfo, public; null:
   * off). When set, every SendGrid post must carry its signature instead of the password.
   */
  @Column({ type: 'text', nullable: true, select: false })
  emailSendgridPublicKey!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
