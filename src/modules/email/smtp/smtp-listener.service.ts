import { readFileSync } from 'node:fs';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DNSResolver } from 'mailauth';
import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { DataSource } from 'typeorm';
import { DomainError } from '../../../common/errors';
import { RateLimits } from '../../../common/rate-limit';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import type { Project } from '../../projects/entities/project.entity';
import { ProjectsService } from '../../projects/projects.service';
import { EmailService } from '../email.service';
import { checkSender } from './sender-auth';
import { readRecipient, type SmtpRecipient } from './smtp-recipients';

/**
 * mailauth's DNS lookups (SPF, DKIM keys, DMARC): the system resolver unless `resolver` is set.
 * Tests set a fake one, so nothing reaches the network.
 */
@Injectable()
export class SmtpDns {
  resolver: DNSResolver | undefined = undefined;
}

/** An SMTP reply for smtp-server: the code and text the client sees. */
function reply(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

/** The ids a reply points at, from its raw headers (In-Reply-To, References), without brackets. */
function repliedIds(raw: Buffer): string[] {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw
    .subarray(0, end === -1 ? Math.min(raw.length, 64 * 1024) : end)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const ids: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (!/^(in-reply-to|references):/i.test(line)) continue;
    for (const match of line.matchAll(/<([^<>\s]+)>/g)) ids.push(match[1]);
  }
  return [...new Set(ids)];
}

/**
 * The built-in SMTP listener (EMAIL_SMTP_PORT): the target of a forwarding rule or an MX record.
 * The recipient names the project; the sender is checked (SPF, DKIM, DMARC) and an unproven one
 * is never trusted as staff; the mail goes through the same ingest as POST /v1/emails and is
 * committed before the 250, so a crash before it makes the sending MTA retry.
 */
@Injectable()
export class SmtpListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SmtpListener');
  private server: SMTPServer | null = null;
  private readonly perAddress: RateLimiterRedis;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly emails: EmailService,
    private readonly projects: ProjectsService,
    private readonly limits: RateLimits,
    private readonly dns: SmtpDns,
  ) {
    this.perAddress = limits.limiter('smtp-address', config.EMAIL_SMTP_MESSAGES_PER_MINUTE, 60);
  }

  /** Where the listener listens (null when off): tests listen on port 0 and ask. */
  address(): { host: string; port: number } | null {
    const address = this.server?.server.address();
    return address && typeof address === 'object'
      ? { host: address.address, port: address.port }
      : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.EMAIL_SMTP_PORT;
    if (port === undefined || !this.config.EMAIL_SMTP_DOMAIN) return;
    const tls =
      this.config.EMAIL_SMTP_TLS_KEY && this.config.EMAIL_SMTP_TLS_CERT
        ? {
            key: readFileSync(this.config.EMAIL_SMTP_TLS_KEY),
            cert: readFileSync(this.config.EMAIL_SMTP_TLS_CERT),
          }
        : null;
    const server = new SMTPServer({
      name: this.config.EMAIL_SMTP_DOMAIN,
      banner: 'Repro',
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls ?? {}),
      size: this.config.EMAIL_MAX_BYTES,
      rejectOversized: true,
      // Its own logger writes envelopes and addresses: off; ours logs verdicts only.
      logger: false,
      onMailFrom: (_address, session, callback) => {
        this.admit(session).then(() => callback(), callback);
      },
      onRcptTo: (address, _session, callback) => {
        this.target(address.address).then(
          (target) =>
            target
              ? callback()
              : callback(reply(550, '5.1.1 No such mailbox here: not a Repro project address')),
          callback,
        );
      },
      onData: (stream, session, callback) => {
        this.deliver(stream, session).then((text) => callback(null, text), callback);
      },
    });
    server.on('error', (error: Error) => this.logger.warn(`SMTP: ${error.message}`));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, this.config.EMAIL_SMTP_HOST, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    const at = this.address();
    this.logger.log(
      `SMTP listener on ${at?.host}:${at?.port} for @${this.config.EMAIL_SMTP_DOMAIN}${tls ? ' (STARTTLS)' : ''}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Each MAIL FROM counts against the client's IP; over the limit, 451 (try later). */
  private async admit(session: SMTPServerSession): Promise<void> {
    const refused = await this.perAddress.consume(session.remoteAddress).then(
      () => null,
      (error: unknown) => error,
    );
    if (refused instanceof RateLimiterRes) {
      throw reply(451, '4.7.1 Too many messages from your address; try again later');
    }
    // Neither Redis nor the in-memory insurance answered: let the mail through.
    if (refused) this.limits.warnOutage(refused);
  }

  /** The project (or reply routing) an RCPT TO address stands for; null for nobody here. */
  private async target(address: string): Promise<SmtpRecipient | null> {
    const recipient = readRecipient(address, {
      domain: this.config.EMAIL_SMTP_DOMAIN!,
      mailFrom: this.config.MAIL_FROM,
    });
    if (recipient?.kind !== 'project') return recipient;
    return (await this.projectBySlug(recipient.slug)) ? recipient : null;
  }

  private async projectBySlug(slug: string): Promise<Project | null> {
    try {
      return await this.projects.findBySlug(slug);
    } catch (error) {
      if (error instanceof DomainError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * The project a reply to Repro's questions belongs to: the question whose reply token the
   * recipient carries (`questions+r_<token>@…`), else the question or outgoing mail it names in
   * In-Reply-To/References; with neither, the default project (single-project setups).
   */
  private async replyProject(raw: Buffer, tag: string | null): Promise<Project | null> {
    const token = tag?.startsWith('r_') ? tag.slice(2) : null;
    const ids = repliedIds(raw);
    if (token || ids.length) {
      const rows: { project_id: string }[] = await this.db.query(
        `SELECT project_id FROM (
           SELECT project_id, 0 AS rank FROM email_outbox WHERE reply_token = $1
           UNION ALL
           SELECT project_id, 1 FROM email_outbox WHERE message_id = ANY($2::text[])
           UNION ALL
           SELECT project_id, 1 FROM email_messages
            WHERE direction = 'out' AND message_id = ANY($2::text[])
         ) t ORDER BY rank LIMIT 1`,
        [token, ids],
      );
      if (rows[0]) return this.projects.byId(rows[0].project_id);
    }
    return this.projects.defaultProject();
  }

  private async deliver(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    if (stream.sizeExceeded) {
      throw reply(552, `5.3.4 Message larger than ${this.config.EMAIL_MAX_BYTES} bytes`);
    }
    const raw = Buffer.concat(chunks);
    const mailFrom = session.envelope.mailFrom;
    const verdict = await checkSender(
      raw,
      {
        ip: session.remoteAddress,
        helo: session.hostNameAppearsAs,
        mailFrom: mailFrom ? mailFrom.address : '',
      },
      this.dns.resolver,
      this.config.EMAIL_SMTP_DOMAIN!,
    );
    if (verdict.retry) throw reply(451, '4.4.3 Sender checks failed for now; try again later');
    const projects = new Map<string, Project>();
    for (const rcpt of session.envelope.rcptTo) {
      const target = await this.target(rcpt.address);
      const project =
        target?.kind === 'project'
          ? await this.projectBySlug(target.slug)
          : target?.kind === 'reply'
            ? await this.replyProject(raw, target.tag)
            : null;
      if (project) projects.set(project.id, project);
    }
    if (!projects.size) throw reply(550, '5.1.1 No project takes this mail');
    const ids: string[] = [];
    try {
      // Every project's copy is committed before the 250; a retry after a partial failure
      // finds the committed ones already delivered (same Message-ID) and stores nothing twice.
      for (const project of projects.values()) {
        const result = await this.emails.receive(project, raw, {
          authenticated: verdict.trusted,
        });
        ids.push(result.email.id);
      }
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) {
        throw reply(550, `5.7.1 ${error.message}`);
      }
      this.logger.error(`SMTP delivery not stored, the sender will retry: ${String(error)}`);
      throw reply(451, '4.3.0 Not stored; try again later');
    }
    this.logger.log(`SMTP mail stored (${verdict.summary}, trusted=${verdict.trusted})`);
    return `OK: stored as ${ids.join(', ')}`;
  }
}
