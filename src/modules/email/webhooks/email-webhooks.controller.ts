import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { Public } from '../../../common/auth';
import { ReadsOwnBody } from '../../../common/body-parsing';
import { DomainError, ErrorCode, UnauthorizedError } from '../../../common/errors';
import { RateLimits } from '../../../common/rate-limit';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import type { Project } from '../../projects/entities/project.entity';
import { ProjectsService } from '../../projects/projects.service';
import { EmailService } from '../email.service';
import {
  type FormPost,
  formDigest,
  mailgunMime,
  mailgunSignature,
  postmarkMime,
  readForm,
  sendgridMime,
} from './provider-payloads';
import {
  mailgunAuthReport,
  postmarkAuthReport,
  providerSenderVerdict,
  sendgridAuthReport,
} from './provider-auth';
import {
  basicAuthPassword,
  type BasicAuthProvider,
  MAILGUN_MAX_AGE_SECONDS,
  mailgunSignatureMatches,
  mailgunTimestampFresh,
  passwordMatches,
  SENDGRID_MAX_AGE_SECONDS,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendgridPublicKey,
  sendgridSignatureMatches,
  timestampFresh,
} from './webhook-auth';

/** The project's SendGrid verification key (projects.email_sendgrid_public_key), when set. */
function sendgridKeyOf(project: Project | null): string | null {
  return project?.emailSendgridPublicKey ?? null;
}

const PROVIDER_NAMES: Record<BasicAuthProvider | 'mailgun', string> = {
  postmark: 'Postmark',
  sendgrid: 'SendGrid',
  mailgun: 'Mailgun',
};

function tooLarge(limitBytes: number): DomainError {
  return new DomainError(
    413,
    ErrorCode.PayloadTooLarge,
    `The webhook body is larger than the limit of ${limitBytes} bytes.`,
    { field: 'body', limitBytes },
  );
}

/**
 * Mailgun retries every answer but 200 and 406 for 8 hours: a mail refused for good (400, 403,
 * 413, 415) is answered 406 with its code, so Mailgun stops. 401 and 429 are retried, as they
 * should be (a signing key set later, a limit that passes).
 */
function forMailgun(error: unknown): unknown {
  if (!(error instanceof DomainError) || ![400, 403, 413, 415].includes(error.status)) return error;
  return new DomainError(406, error.code, error.message, error.details);
}

function badSignature(message: string): DomainError {
  return new DomainError(401, ErrorCode.BadSignature, message);
}

/**
 * Inbound mail from Postmark, SendGrid and Mailgun. Public to the API-key guard: the project is
 * named by its slug in the path, and each route checks its provider's credential for that
 * project (a basic-auth password in the URL, SendGrid's ECDSA signature, or Mailgun's HMAC
 * signature) before the mail goes the same way as POST /v1/emails, with the provider's SPF/DKIM
 * verdict on the sender (a From that fails them is never trusted as staff). Each answers 200
 * only once the mail is committed, so a crash before that is covered by the provider's retries.
 */
@ApiTags('email')
@Controller('v1/emails/webhooks/:project')
export class EmailWebhooksController {
  constructor(
    private readonly email: EmailService,
    private readonly projects: ProjectsService,
    private readonly limits: RateLimits,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Public()
  @ReadsOwnBody()
  @Post('postmark')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Postmark inbound webhook (basic auth in the webhook URL)',
    description:
      'Postmark’s inbound JSON; its RawEmail when “Include raw email content” is on, otherwise a MIME message rebuilt from its fields.',
  })
  @ApiOkResponse({ description: 'Stored (or a repeated delivery of a stored mail)' })
  async postmark(
    @Param('project') slug: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const project = await this.basicAuth(slug, 'postmark', req, res);
    const body = await this.readBody(req, res);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new DomainError(400, ErrorCode.MalformedJson, 'The body is not valid JSON.', {
        field: 'body',
      });
    }
    const raw = await postmarkMime(json);
    return this.receive(
      project,
      raw,
      res,
      providerSenderVerdict(postmarkAuthReport(json, raw), raw),
    );
  }

  @Public()
  @ReadsOwnBody()
  @Post('sendgrid')
  @HttpCode(200)
  @ApiOperation({
    summary: 'SendGrid Inbound Parse (signed by a security policy, or basic auth in the URL)',
    description:
      'multipart/form-data; the `email` field when “POST the raw, full MIME message” is on, otherwise a MIME message rebuilt from the parsed fields. With a verification key set for the project (repro email --sendgrid-public-key), every post must carry a valid X-Twilio-Email-Event-Webhook-Signature over its timestamp and body, at most 73 h old; otherwise the basic-auth password is checked.',
  })
  @ApiOkResponse({ description: 'Stored (or a repeated delivery of a stored mail)' })
  async sendgrid(
    @Param('project') slug: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    this.refuseIfBlocked(req, res);
    const found = await this.projects.findWithEmailWebhookSecrets(slug);
    const publicKey = sendgridKeyOf(found);
    let project: Project;
    let body: Buffer;
    if (found && publicKey) {
      // A signing policy replaces the password: the signature covers the body, read first.
      body = await this.readBody(req, res);
      await this.checkSendgridSignature(publicKey, req, res, body);
      await this.limits.forEmailWebhook(found.id, req, res);
      project = found;
    } else {
      project = await this.checkBasicAuth(found, 'sendgrid', req, res);
      body = await this.readBody(req, res);
    }
    const form = await readForm(req.headers, body);
    const raw = await sendgridMime(form);
    return this.receive(project, raw, res, providerSenderVerdict(sendgridAuthReport(form), raw));
  }

  /** 401 BAD_SIGNATURE unless the post carries SendGrid's fresh signature over this body. */
  private async checkSendgridSignature(
    storedKey: string,
    req: Request,
    res: Response,
    body: Buffer,
  ): Promise<void> {
    const signature = req.header(SENDGRID_SIGNATURE_HEADER);
    const timestamp = req.header(SENDGRID_TIMESTAMP_HEADER);
    const key = sendgridPublicKey(storedKey);
    if (!key || !signature || !timestamp) {
      await this.limits.authFailed(req, res);
      throw badSignature('The SendGrid signature is missing (set a signing security policy).');
    }
    if (!sendgridSignatureMatches(key, timestamp, body, signature)) {
      await this.limits.authFailed(req, res);
      throw badSignature('The SendGrid signature does not match.');
    }
    if (!timestampFresh(timestamp, Date.now(), SENDGRID_MAX_AGE_SECONDS)) {
      throw badSignature(
        `The SendGrid timestamp is more than ${SENDGRID_MAX_AGE_SECONDS} s from our clock.`,
      );
    }
  }

  @Public()
  @ReadsOwnBody()
  @Post(['mailgun', 'mailgun/mime'])
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Mailgun route forward (HMAC-SHA256 signature, 9 h window, a token only with its own post)',
    description:
      'A route’s forward(): to …/mailgun/mime Mailgun posts body-mime; to …/mailgun, the parsed fields.',
  })
  @ApiOkResponse({ description: 'Stored (or a repeated delivery of a stored mail)' })
  async mailgun(
    @Param('project') slug: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    this.refuseIfBlocked(req, res);
    const project = await this.projects.findWithEmailWebhookSecrets(slug);
    const signingKey = project?.emailMailgunSigningKey;
    if (!project || !signingKey) await this.refuse(req, res, 'mailgun');
    let form: FormPost;
    try {
      form = await readForm(req.headers, await this.readBody(req, res));
    } catch (error) {
      throw forMailgun(error);
    }
    const signed = mailgunSignature(form);
    if (
      !signed ||
      !mailgunSignatureMatches(signingKey!, signed.timestamp, signed.token, signed.signature)
    ) {
      await this.limits.authFailed(req, res);
      throw badSignature('The Mailgun signature does not match.');
    }
    if (!mailgunTimestampFresh(signed.timestamp, Date.now())) {
      throw badSignature(
        `The Mailgun timestamp is more than ${MAILGUN_MAX_AGE_SECONDS} s from our clock.`,
      );
    }
    await this.limits.forEmailWebhook(project!.id, req, res);
    // Mailgun's signature covers the timestamp and token, not the mail: a token seen before is
    // taken only with the very post it came with (a retry after a lost answer, which receive
    // answers with the same report), never with another body.
    const tokenKey = `${this.config.QUEUE_PREFIX}:email-webhooks:mailgun-token:${project!.id}:${createHash('sha256').update(signed.token).digest('hex')}`;
    const digest = formDigest(form);
    const ttl = 2 * MAILGUN_MAX_AGE_SECONDS;
    const first = await this.limits.redis.set(tokenKey, digest, 'EX', ttl, 'NX');
    if (first !== 'OK' && (await this.limits.redis.get(tokenKey)) !== digest) {
      throw badSignature('This Mailgun signature was already used for another post.');
    }
    try {
      const raw = await mailgunMime(form);
      const verdict = providerSenderVerdict(mailgunAuthReport(form, raw), raw);
      return await this.receive(project!, raw, res, verdict);
    } catch (error) {
      throw forMailgun(error);
    }
  }

  private refuseIfBlocked(req: Request, res: Response): void {
    const blockedMs = this.limits.authBlockedMs(req);
    if (blockedMs > 0) throw this.limits.authBlocked(req, res, blockedMs);
  }

  /** The project whose stored password the request's basic auth carries; else 401. */
  private async basicAuth(
    slug: string,
    provider: BasicAuthProvider,
    req: Request,
    res: Response,
  ): Promise<Project> {
    this.refuseIfBlocked(req, res);
    return this.checkBasicAuth(
      await this.projects.findWithEmailWebhookSecrets(slug),
      provider,
      req,
      res,
    );
  }

  /** `project` (loaded with its secrets) when the request's basic auth is its password; else 401. */
  private async checkBasicAuth(
    project: Project | null,
    provider: BasicAuthProvider,
    req: Request,
    res: Response,
  ): Promise<Project> {
    const stored =
      provider === 'postmark'
        ? project?.emailPostmarkPasswordHash
        : project?.emailSendgridPasswordHash;
    if (
      !project ||
      !passwordMatches(basicAuthPassword(req.header('authorization')), stored ?? null)
    ) {
      return this.refuse(req, res, provider);
    }
    await this.limits.forEmailWebhook(project.id, req, res);
    return project;
  }

  /** 401 for an unknown project, a provider not set up, or a wrong credential: all look alike. */
  private async refuse(
    req: Request,
    res: Response,
    provider: BasicAuthProvider | 'mailgun',
  ): Promise<never> {
    await this.limits.authFailed(req, res);
    if (!req.complete) res.setHeader('Connection', 'close');
    if (provider !== 'mailgun') res.setHeader('WWW-Authenticate', 'Basic realm="repro-email"');
    throw new UnauthorizedError(
      `${PROVIDER_NAMES[provider]} webhooks are not set up for this project, or the credentials do not match (see repro email).`,
    );
  }

  /**
   * The request body, refused past what a mail of EMAIL_MAX_BYTES takes once wrapped by the
   * provider (base64 attachments in JSON, a form around the raw message).
   */
  private async readBody(req: Request, res: Response): Promise<Buffer> {
    const limit = Math.ceil(this.config.EMAIL_MAX_BYTES * 1.4) + 256 * 1024;
    const declared = Number(req.header('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      res.setHeader('Connection', 'close');
      throw tooLarge(limit);
    }
    const pieces: Buffer[] = [];
    let bytes = 0;
    for await (const piece of req as AsyncIterable<Buffer>) {
      bytes += piece.length;
      if (bytes > limit) {
        res.setHeader('Connection', 'close');
        throw tooLarge(limit);
      }
      pieces.push(piece);
    }
    return Buffer.concat(pieces);
  }

  /** `authenticated`: the provider's SPF/DKIM verdict on the From domain (see provider-auth). */
  private async receive(
    project: Project,
    raw: Buffer,
    res: Response,
    authenticated: boolean | undefined,
  ) {
    if (raw.length > this.config.EMAIL_MAX_BYTES) throw tooLarge(this.config.EMAIL_MAX_BYTES);
    const result = await this.email.receive(project, raw, { authenticated });
    const statusUrl = result.reportId
      ? `${this.config.PUBLIC_URL}/v1/reports/${result.reportId}`
      : null;
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return {
      id: result.reportId,
      status: result.reportStatus ?? result.email.status,
      statusUrl,
      email: result.email,
    };
  }
}
