import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type { Project } from '../../projects/entities/project.entity';
import type { Report } from '../../reports/entities/report.entity';

export const EMAIL_DIRECTIONS = ['in', 'out'] as const;
export type EmailDirection = (typeof EMAIL_DIRECTIONS)[number];

/** `report`: it made a report; `answer`: it answered one; `ignored`: see ignoredReason. */
export const EMAIL_STATUSES = ['report', 'answer', 'ignored', 'sent'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** An attachment as listed on the mail (its bytes stay in `raw`). */
export interface ListedAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  kind: string;
  dropped: string | null;
}

/** One mail in or out of a project, kept whole (raw) so that nothing delivered is lost. */
@Entity('email_messages')
@Check('email_messages_direction', `"direction" IN ('in', 'out')`)
@Index('email_messages_project_message_id', ['projectId', 'messageId'], {
  unique: true,
  where: '"message_id" IS NOT NULL',
})
@Index('email_messages_project_content_hash', ['projectId', 'contentHash'], { unique: true })
export class EmailMessage {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_messages_project' })
  project?: Relation<Project>;

  @Column({ type: 'text' })
  direction!: EmailDirection;

  /** Without angle brackets. */
  @Column({ type: 'text', nullable: true })
  messageId!: string | null;

  @Column({ type: 'text' })
  contentHash!: string;

  @Column({ type: 'text', nullable: true })
  fromAddress!: string | null;

  @Column({ type: 'text', nullable: true })
  fromName!: string | null;

  @Column({ type: 'text', default: '' })
  subject!: string;

  /** The report it made, or answered (in), or asked for (out). */
  @Index('email_messages_report')
  @Column({ type: 'uuid', nullable: true })
  reportId!: string | null;

  @ManyToOne('Report', { onDelete: 'SET NULL' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_messages_report' })
  report?: Relation<Report> | null;

  @Column({ type: 'text' })
  status!: EmailStatus;

  @Column({ type: 'text', nullable: true })
  ignoredReason!: string | null;

  /** The staff member who forwarded it, when a trusted forward. */
  @Column({ type: 'text', nullable: true })
  forwardedBy!: string | null;

  /** The staff member's note above a forward: staff context, not the customer's words. */
  @Column({ type: 'text', nullable: true })
  staffNote!: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  attachments!: ListedAttachment[];

  @Column({ type: 'bytea', nullable: true, select: false })
  raw!: Buffer | null;

  @Column({ type: 'integer', default: 0 })
  rawBytes!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
