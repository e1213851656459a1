import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { createHash, randomBytes } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import { JITTERED_BACKOFF } from '../../../queue/backoff';
import type { ReportMessage } from '../../conversation/entities/report-message.entity';
import { ConversationService } from '../../conversation/conversation.service';
import { ProjectsService } from '../../projects/projects.service';
import { ReportsService } from '../../reports/reports.service';
import { EmailMessage } from '../entities/email-message.entity';
import { OutboundEmail } from './entities/outbound-email.entity';
import {
  OUTBOUND_QUEUE,
  type OutboundJobData,
  OutboundJobName,
  sendJobId,
} from './outbound.constants';
import { questionMessageId, replyAddress, replySubject } from './threading';

/** An SMTP answer that will not change on a retry (5xx): the mail is given up, visibly. */
export function isPermanentSmtpError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** What the audit and the outbox keep of an SMTP error: its reply, never the SMTP URL. */
export function smtpErrorText(error: unknown): string {
  const e = error as { response?: string; code?: string; message?: string };
  return (e.response ?? (e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(error))))
    .replace(/smtps?:\/\/[^\s]+/gi, 'smtp://…')
    .slice(0, 500);
}

/** How long a pending mail may wait for its job before the sweep queues it again. */
const SWEEP_AFTER_MS = 30_000;

/**
 * Questions by email: an outbox row per question (written in the question's transaction, its
 * Message-ID fixed), a job that sends it once over SMTP, and the mail recorded as sent.
 */
@Injectable()
export class OutboundService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundService.name);
  private transport?: Transporter;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    @InjectQueue(OUTBOUND_QUEUE) private readonly queue: Queue<OutboundJobData>,
    private readonly conversation: ConversationService,
    private readonly reports: ReportsService,
    private readonly projects: ProjectsService,
  ) {}

  /** Nothing is sent unless SMTP_URL and MAIL_FROM are both set. */
  get enabled(): boolean {
    return Boolean(this.config.SMTP_URL && this.config.MAIL_FROM);
  }

  onModuleInit(): void {
    this.conversation.listen({
      asked: (manager, message) => this.asked(manager, message),
      committed: (message) => this.committed(message),
    });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }

  /**
   * In the question's transaction: the mail that will carry it, to the reporter or the staff
   * member who forwarded the report (the project's `emailQuestionsTo`), threaded after the
   * mails before it. Nothing for a report with no address to write to.
   */
  async asked(manager: EntityManager, message: ReportMessage): Promise<void> {
    if (!this.enabled) return;
    const mailFrom = this.config.MAIL_FROM!;
    const report = await this.reports.withPeople(message.reportId, manager);
    const project = await this.projects.byId(report.projectId);
    // The thread so far: the mail the report came from, answers by mail, earlier questions.
    const thread: { message_id: string | null; forwarded_by: string | null; subject: string }[] =
      await manager.query(
        `SELECT message_id, forwarded_by, subject, at FROM (
           SELECT message_id, forwarded_by, subject, received_at AS at, status FROM email_messages
            WHERE report_id = $1 AND direction = 'in' AND status IN ('report', 'answer')
           UNION ALL
           SELECT message_id, NULL, subject, created_at, 'question' FROM email_outbox
            WHERE report_id = $1
         ) t ORDER BY at ASC`,
        [report.id],
      );
    const source = thread[0];
    const to =
      project.emailQuestionsTo === 'forwarder' && source?.forwarded_by
        ? source.forwarded_by
        : (report.reporter?.email ?? null);
    if (!to) return;
    const references = thread.map((m) => m.message_id).filter((id): id is string => Boolean(id));
    await manager
      .createQueryBuilder()
      .insert()
      .into(OutboundEmail)
      .values({
        projectId: report.projectId,
        reportId: report.id,
        questionId: message.id,
        messageId: questionMessageId(message.id, mailFrom),
        // Unguessable, bound to this report (lower-case hex survives case-folding servers).
        replyToken: randomBytes(16).toString('hex'),
        toAddress: to,
        subject: replySubject(source?.subject, 'Your bug report'),
        body: message.body,
        inReplyTo: references.at(-1) ?? null,
        references: references.slice(-20),
      })
      .orIgnore()
      .execute();
  }

  /** After the question committed: its mail is queued (the sweep redoes a lost enqueue). */
  async committed(message: ReportMessage): Promise<void> {
    if (!this.enabled) return;
    const row = await this.db
      .getRepository(OutboundEmail)
      .findOneBy({ questionId: message.id, status: 'pending' });
    if (row) await this.enqueue(row.id);
  }

  async enqueue(outboxId: string): Promise<void> {
    await this.queue.add(
      OutboundJobName.SendQuestionEmail,
      { outboxId },
      {
        jobId: sendJobId(outboxId),
        attempts: this.config.JOB_ATTEMPTS,
        backoff: { type: JITTERED_BACKOFF, delay: this.config.JOB_BACKOFF_MS },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /** Pending mails whose job was lost (Redis down at enqueue, a crash): queued again. */
  async sweep(): Promise<number> {
    if (!this.enabled) return 0;
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM email_outbox WHERE status = 'pending' AND created_at < now() - $1::interval
        ORDER BY created_at LIMIT 100`,
      [`${SWEEP_AFTER_MS} milliseconds`],
    );
    for (const { id } of rows) await this.enqueue(id);
    return rows.length;
  }

  /** The mail exactly as it goes out: the same headers on every attempt. */
  async compose(row: OutboundEmail): Promise<Buffer> {
    const mailFrom = this.config.MAIL_FROM!;
    const text = [
      row.body.trim(),
      '',
      '--',
      'Reply to this email to answer; your reply goes straight back to your bug report.',
    ].join('\n');
    return new MailComposer({
      from: { name: 'Repro', address: mailFrom },
      to: row.toAddress,
      replyTo: replyAddress(mailFrom, row.replyToken),
      subject: row.subject,
      messageId: `<${row.messageId}>`,
      date: row.createdAt,
      inReplyTo: row.inReplyTo ? `<${row.inReplyTo}>` : undefined,
      references: row.references.length ? row.references.map((id) => `<${id}>`) : undefined,
      // Out-of-office replies should not answer it (RFC 3834); Repro ignores them anyway.
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
      text,
    })
      .compile()
      .build();
  }

  /**
   * Sends one outbox mail unless it was sent already. A crash after the SMTP server took it and
   * before the mark makes the job send it again: the same Message-ID, which clients collapse.
   * Returns false when there was nothing to send.
   */
  async send(outboxId: string): Promise<boolean> {
    if (!this.enabled) return false;
    const repo = this.db.getRepository(OutboundEmail);
    const row = await repo.findOneBy({ id: outboxId });
    if (!row || row.status !== 'pending') return false;
    const raw = await this.compose(row);
    await this.transporter().sendMail({
      envelope: { from: this.config.MAIL_FROM!, to: [row.toAddress] },
      raw,
    });
    await this.markSent(row, raw);
    return true;
  }

  /** The mail is recorded as sent: the outbox row, the `out` row replies are matched against. */
  async markSent(row: OutboundEmail, raw: Buffer): Promise<void> {
    await this.db.transaction(async (manager) => {
      const marked = await manager
        .createQueryBuilder()
        .update(OutboundEmail)
        .set({ status: 'sent', sentAt: () => 'now()', lastError: null })
        .where('id = :id AND status = :pending', { id: row.id, pending: 'pending' })
        .execute();
      if (!marked.affected) return;
      await manager
        .createQueryBuilder()
        .insert()
        .into(EmailMessage)
        .values({
          projectId: row.projectId,
          direction: 'out',
          messageId: row.messageId,
          contentHash: createHash('sha256').update(`out:${row.messageId}`).digest('hex'),
          fromAddress: this.config.MAIL_FROM!,
          fromName: 'Repro',
          subject: row.subject,
          reportId: row.reportId,
          status: 'sent',
          raw,
          rawBytes: raw.length,
        })
        .orIgnore()
        .execute();
      await this.reports.audit(
        {
          reportId: row.reportId,
          stage: 'clarify',
          event: 'questions_emailed',
          reason: `Emailed the questions to ${row.toAddress}`,
          details: { outboxId: row.id, messageId: row.messageId, to: row.toAddress },
        },
        manager,
      );
    });
  }

  /** Given up (a 5xx, or out of attempts): on the report's history, never sent again. */
  async failed(outboxId: string, error: unknown): Promise<void> {
    const reason = smtpErrorText(error);
    await this.db.transaction(async (manager) => {
      const row = await manager.getRepository(OutboundEmail).findOneBy({ id: outboxId });
      if (!row || row.status !== 'pending') return;
      await manager.update(OutboundEmail, { id: row.id }, { status: 'failed', lastError: reason });
      await this.reports.audit(
        {
          reportId: row.reportId,
          stage: 'clarify',
          event: 'questions_email_failed',
          reason: `Could not email the questions to ${row.toAddress}: ${reason}`,
          details: { outboxId: row.id, messageId: row.messageId, to: row.toAddress },
        },
        manager,
      );
    });
    this.logger.warn({ outboxId, reason }, 'Questions by email given up');
  }

  private transporter(): Transporter {
    // A hung server is a temporary failure like a 4xx: the job retries with backoff.
    this.transport ??= createTransport({
      url: this.config.SMTP_URL!,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    return this.transport;
  }
}
