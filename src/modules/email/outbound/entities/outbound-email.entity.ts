import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type { ReportMessage } from '../../../conversation/entities/report-message.entity';
import type { Project } from '../../../projects/entities/project.entity';
import type { Report } from '../../../reports/entities/report.entity';

export const OUTBOUND_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/**
 * The outbox: one mail per question message, written in the question's transaction with its
 * Message-ID fixed, so a send repeated after a crash is the same mail; `sent` is never sent again.
 */
@Entity('email_outbox')
@Check('email_outbox_status', `"status" IN ('pending', 'sent', 'failed')`)
export class OutboundEmail {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_outbox_project' })
  project?: Relation<Project>;

  @Index('email_outbox_report')
  @Column({ type: 'uuid' })
  reportId!: string;

  @ManyToOne('Report', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_outbox_report' })
  report?: Relation<Report>;

  /** The agent's message (report_messages) this mail carries. */
  @Index('email_outbox_question', { unique: true })
  @Column({ type: 'uuid' })
  questionId!: string;

  @ManyToOne('ReportMessage', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_outbox_question' })
  question?: Relation<ReportMessage>;

  /** Without angle brackets. */
  @Index('email_outbox_message_id', { unique: true })
  @Column({ type: 'text' })
  messageId!: string;

  /** In the reply address (MAIL_FROM plus-addressed): routes an answer with no headers left. */
  @Index('email_outbox_reply_token', { unique: true })
  @Column({ type: 'text' })
  replyToken!: string;

  @Column({ type: 'text' })
  toAddress!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'text', nullable: true })
  inReplyTo!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  references!: string[];

  @Index('email_outbox_pending', { where: `"status" = 'pending'` })
  @Column({ type: 'text', default: 'pending' })
  status!: OutboundStatus;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
