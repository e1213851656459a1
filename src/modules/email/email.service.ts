import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import type { CreateReportDto } from '../intake/dto/create-report.dto';
import { AccountsService } from '../accounts/accounts.service';
import { IntakeService } from '../intake/intake.service';
import { PipelineService } from '../pipeline/pipeline.service';
import type { Project } from '../projects/entities/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { RecordingsService } from '../recordings/recordings.service';
import { ReportsService } from '../reports/reports.service';
import { EmailAttachmentsService } from './attachments/email-attachments.service';
import { EmailErrorCode, invalidEmail } from './email-errors';
import {
  evidenceOf,
  readEmail,
  repliedTo,
  type SessionEvidence,
  sentAt,
  sessionReason,
} from './email-reading';
import type { MailAddress, ParsedEmail } from './email.types';
import { EmailMessage, type EmailStatus } from './entities/email-message.entity';
import { parseEmail } from './parsing/parse-email';
import { messageIdDomain, replyTokenOf } from './outbound/threading';

/** What POST /v1/emails answers: the report the mail made or answered, and the mail's fate. */
export interface EmailResult {
  /** The report's id; null for an ignored mail. */
  reportId: string | null;
  reportStatus: string | null;
  email: { id: string; status: EmailStatus; reason: string | null };
  /** True when this mail was delivered before (same Message-ID or content). */
  replayed: boolean;
}

// A header line (`Name: value`) or a folded continuation: what a MIME message starts with.
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+:/;

/** The same mail again: PostgreSQL's unique violation on the email_messages keys. */
function isDuplicateRow(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { constraint?: string } };
  const constraint = e.constraint ?? e.driverError?.constraint ?? '';
  return e.code === '23505' && constraint.startsWith('email_messages_');
}

/**
 * Inbound mail: a raw message is parsed, stored whole, and becomes a report (through the same
 * front door as POST /v1/reports), an answer to a report Repro asked about, or an ignored mail.
 */
@Injectable()
export class EmailService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly intake: IntakeService,
    private readonly pipeline: PipelineService,
    private readonly projects: ProjectsService,
    private readonly reports: ReportsService,
    private readonly accounts: AccountsService,
    private readonly recordings: RecordingsService,
    private readonly attachments: EmailAttachmentsService,
  ) {}

  /**
   * `options.authenticated`: the way in checked the sender (the SMTP listener's SPF/DKIM/DMARC);
   * false means the From address is unproven, so it is never trusted as staff. Left unset (the
   * API and webhooks, which cannot check), the staff list decides alone.
   */
  async receive(
    authenticated: Project,
    raw: Buffer,
    options: { authenticated?: boolean } = {},
  ): Promise<EmailResult> {
    const mail = await this.parse(raw);
    const earlier = await this.findDelivered(authenticated.id, mail);
    if (earlier) return this.replayOf(earlier);
    // The settings as they are now (the authenticated project may be cached).
    const project = await this.projects.byId(authenticated.id);
    try {
      return await this.take(project, mail, raw, options.authenticated);
    } catch (error) {
      // The same mail delivered concurrently: the other delivery committed first.
      if (!isDuplicateRow(error)) throw error;
      const first = await this.findDelivered(project.id, mail);
      if (!first) throw error;
      return this.replayOf(first);
    }
  }

  private async parse(raw: Buffer): Promise<ParsedEmail> {
    const head = raw
      .subarray(0, 1000)
      .toString('latin1')
      .replace(/^\uFEFF/, '');
    if (!HEADER_LINE.test(head)) {
      throw invalidEmail('body', 'The body is not a MIME message (it starts with no header).');
    }
    const mail = await parseEmail(raw, {
      maxAttachmentBytes: this.config.EMAIL_ATTACHMENT_MAX_BYTES,
      // Repro's own mail coming back in (a loop) is never a report.
      ownAddresses: this.config.MAIL_FROM ? [this.config.MAIL_FROM] : [],
      ownMessageIdDomain: this.config.MAIL_FROM
        ? messageIdDomain(this.config.MAIL_FROM)
        : undefined,
    });
    if (!mail.from?.address) throw invalidEmail('From', 'The mail has no sender (From).');
    return mail;
  }

  private async take(
    project: Project,
    mail: ParsedEmail,
    raw: Buffer,
    senderAuthenticated?: boolean,
  ): Promise<EmailResult> {
    if (mail.automated) return this.ignore(project, mail, raw, mail.automated);
    const answered = await this.reportAnswered(project.id, mail);
    if (answered) return this.answer(project, mail, raw, answered);
    const reading = readEmail(mail, {
      staffSenders: project.emailStaffSenders,
      unknownSenders: project.emailUnknownSenders,
      senderAuthenticated,
    });
    switch (reading.kind) {
      case 'ignored':
        return this.ignore(project, mail, raw, reading.reason);
      case 'refused':
        throw new DomainError(
          403,
          EmailErrorCode.SenderNotAllowed,
          'This project takes mail only from its staff senders (repro email --staff).',
          { field: 'From', from: mail.from!.address },
        );
      case 'report':
        break;
    }
    const reporter = reading.reporter;
    const account = await this.accountFor(project, reporter);
    const sent = sentAt(mail, reading, new Date());
    const recording = await this.recordingOf(project, reporter.address, sent);
    const dto: CreateReportDto = {
      description: reading.description,
      reporter: {
        email: reporter.address.slice(0, 320),
        ...(reporter.name ? { name: reporter.name.slice(0, 200) } : {}),
      },
      ...(account ? { account: { id: account } } : {}),
      ...(recording ? { sessionId: recording.sessionId } : {}),
    };
    let emailId = '';
    const { report } = await this.intake.create(project, dto, 'email', undefined, {
      client: { email: evidenceOf(mail, reading, { sentAt: sent, recording }) },
      stored: async (manager, stored) => {
        emailId = await this.insert(manager, project, mail, raw, {
          reportId: stored.id,
          status: 'report',
          forwardedBy: reading.forwardedBy?.address ?? null,
          staffNote: reading.staffNote,
        });
        // Its images, for the ticket to show: with the report and the mail, or not at all.
        await this.attachments.storeImageAttachments(manager, {
          projectId: project.id,
          emailId,
          reportId: stored.id,
          attachments: mail.attachments,
        });
      },
    });
    return {
      reportId: report.id,
      reportStatus: report.status,
      email: { id: emailId, status: 'report', reason: null },
      replayed: false,
    };
  }

  /**
   * The customer's own streamed widget session from the window before the mail was sent, which
   * becomes the report's recording (analysed, and matched with Sentry, as a widget report's).
   */
  private async recordingOf(
    project: Project,
    address: string,
    sent: Date,
  ): Promise<SessionEvidence | null> {
    const windowMs = this.config.EMAIL_RECORDING_WINDOW_MINUTES * 60_000;
    if (!windowMs) return null;
    const session = await this.recordings.recentSessionOf(project.id, address, sent, windowMs);
    if (!session) return null;
    const seen = { startedAt: session.createdAt, lastSeenAt: session.updatedAt };
    return {
      sessionId: session.sessionId,
      startedAt: seen.startedAt.toISOString(),
      lastSeenAt: seen.lastSeenAt.toISOString(),
      reason: sessionReason(seen, sent),
    };
  }

  /**
   * The account for a reporter's address: the project's domain map first, then an account
   * that lists the domain, then the account the reporter already belongs to.
   */
  private async accountFor(project: Project, reporter: MailAddress): Promise<string | null> {
    const domain = reporter.address.slice(reporter.address.lastIndexOf('@') + 1).toLowerCase();
    const mapped = project.emailDomainAccounts?.[domain];
    if (mapped) return mapped;
    return this.accounts.accountForEmail(this.db.manager, project.id, reporter.address);
  }

  /**
   * The report whose question (outbox, or `out` row) this mail replies to, if any: by Repro's
   * reply address (MAIL_FROM plus-addressed, survives lost headers), else In-Reply-To/References.
   */
  private async reportAnswered(projectId: string, mail: ParsedEmail): Promise<string | null> {
    const from = this.config.MAIL_FROM;
    const token = from ? replyTokenOf([...mail.to, ...mail.cc], from) : null;
    const ids = repliedTo(mail);
    if (!token && !ids.length) return null;
    const rows: { report_id: string }[] = await this.db.query(
      `SELECT report_id FROM (
         SELECT report_id, 0 AS rank FROM email_outbox WHERE project_id = $1 AND reply_token = $3
         UNION ALL
         SELECT report_id, array_position($2::text[], message_id) FROM email_outbox
          WHERE project_id = $1 AND message_id = ANY($2::text[])
         UNION ALL
         SELECT report_id, array_position($2::text[], message_id) FROM email_messages
          WHERE project_id = $1 AND direction = 'out' AND message_id = ANY($2::text[])
            AND report_id IS NOT NULL
       ) t ORDER BY rank LIMIT 1`,
      [projectId, ids, token],
    );
    return rows[0]?.report_id ?? null;
  }

  /**
   * A reply joins its report's conversation as the reporter's answer (quoted history removed).
   * The answer and the mail's row commit together: a crash before the commit leaves neither (the
   * provider's retry answers once), and a second delivery finds the row and answers nothing.
   */
  private async answer(
    project: Project,
    mail: ParsedEmail,
    raw: Buffer,
    reportId: string,
  ): Promise<EmailResult> {
    const words = (mail.newText.trim() || mail.text.trim()).slice(0, 20_000);
    let id = '';
    let status: EmailStatus = 'answer';
    let reason: string | null = null;
    try {
      if (!words) throw new Error('empty');
      await this.pipeline.answered(reportId, words, 'email', async (manager) => {
        id = await this.insert(manager, project, mail, raw, { reportId, status });
      });
    } catch (error) {
      // A closed conversation or an empty reply: the mail is kept, answering nothing.
      if (error instanceof DomainError || (error as Error).message === 'empty') {
        status = 'ignored';
        reason = words ? 'conversation_closed' : 'empty_reply';
        id = await this.insert(this.db.manager, project, mail, raw, {
          reportId,
          status,
          ignoredReason: reason,
        });
      } else {
        throw error;
      }
    }
    const report = await this.reports.find(reportId);
    return {
      reportId,
      reportStatus: report?.status ?? null,
      email: { id, status, reason },
      replayed: false,
    };
  }

  private async ignore(
    project: Project,
    mail: ParsedEmail,
    raw: Buffer,
    reason: string,
  ): Promise<EmailResult> {
    const id = await this.insert(this.db.manager, project, mail, raw, {
      reportId: null,
      status: 'ignored',
      ignoredReason: reason,
    });
    return {
      reportId: null,
      reportStatus: null,
      email: { id, status: 'ignored', reason },
      replayed: false,
    };
  }

  private async insert(
    manager: EntityManager,
    project: Project,
    mail: ParsedEmail,
    raw: Buffer,
    fate: {
      reportId: string | null;
      status: EmailStatus;
      ignoredReason?: string | null;
      forwardedBy?: string | null;
      staffNote?: string | null;
    },
  ): Promise<string> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(EmailMessage)
      .values({
        projectId: project.id,
        direction: 'in',
        messageId: mail.messageId,
        contentHash: mail.contentHash,
        fromAddress: mail.from?.address ?? null,
        fromName: mail.from?.name ?? null,
        subject: mail.subject,
        reportId: fate.reportId,
        status: fate.status,
        ignoredReason: fate.ignoredReason ?? null,
        forwardedBy: fate.forwardedBy ?? null,
        staffNote: fate.staffNote ?? null,
        attachments: mail.attachments.map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          size: a.size,
          kind: a.kind,
          dropped: a.dropped,
        })),
        // The request limit (EMAIL_MAX_BYTES) caps what is kept.
        raw,
        rawBytes: raw.length,
      })
      .returning(['id'])
      .execute();
    return (result.identifiers[0] as { id: string }).id;
  }

  /** An earlier delivery of the same mail (by Message-ID, else by content). */
  private findDelivered(projectId: string, mail: ParsedEmail): Promise<EmailMessage | null> {
    const repo = this.db.getRepository(EmailMessage);
    return repo.findOne({
      where: [
        ...(mail.messageId ? [{ projectId, messageId: mail.messageId }] : []),
        { projectId, contentHash: mail.contentHash },
      ],
    });
  }

  private async replayOf(row: EmailMessage): Promise<EmailResult> {
    // Repro's own outgoing mail come back in: never a report, and not stored twice.
    if (row.direction === 'out') {
      return {
        reportId: null,
        reportStatus: null,
        email: { id: row.id, status: 'ignored', reason: 'own' },
        replayed: true,
      };
    }
    const report = row.reportId ? await this.reports.find(row.reportId) : null;
    return {
      reportId: row.reportId,
      reportStatus: report?.status ?? null,
      email: { id: row.id, status: row.status, reason: row.ignoredReason },
      replayed: true,
    };
  }
}
