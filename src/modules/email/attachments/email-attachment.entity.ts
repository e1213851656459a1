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
import type { Project } from '../../projects/entities/project.entity';
import type { Report } from '../../reports/entities/report.entity';
import type { EmailMessage } from '../entities/email-message.entity';

/**
 * An image attached to a mail that made a report, kept apart from the raw mail so a ticket can
 * show it through a signed link (email-attachments.controller.ts). Only PNG, JPEG, GIF and WebP
 * whose bytes are what they claim (image-attachments.ts); every other attachment stays listed
 * on the mail only.
 */
@Entity('email_attachments')
export class EmailAttachment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @ManyToOne('Project', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_attachments_project' })
  project?: Relation<Project>;

  @Column({ type: 'uuid' })
  emailId!: string;

  @ManyToOne('EmailMessage', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_attachments_email' })
  email?: Relation<EmailMessage>;

  @Index('email_attachments_report')
  @Column({ type: 'uuid' })
  reportId!: string;

  @ManyToOne('Report', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_email_attachments_report' })
  report?: Relation<Report>;

  /** Its index in the mail's attachments, which the report lists in the same order. */
  @Column({ type: 'integer' })
  position!: number;

  /** As the sender wrote it (customer text); null when the part had none. */
  @Column({ type: 'text', nullable: true })
  filename!: string | null;

  /** The sniffed format: one of SERVED_IMAGE_TYPES. */
  @Column({ type: 'text' })
  contentType!: string;

  @Column({ type: 'integer' })
  size!: number;

  @Column({ type: 'bytea', select: false })
  content!: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
