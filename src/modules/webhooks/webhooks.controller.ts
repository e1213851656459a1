import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth';
import { jsonBodyProblem, type RawBodyRequest } from '../../common/body-parsing';
import { UnauthorizedError, ValidationFailedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import {
  hmacMatches,
  LINEAR_MAX_SKEW_MS,
  readGithubIssuesDelivery,
  readLinearDelivery,
  type WebhookOutcome,
} from './webhook-payloads';
import { WebhooksService } from './webhooks.service';

type Body = Record<string, unknown>;

/** What every webhook answer looks like: applied (200) or ignored (202 / 200 for a replay). */
interface WebhookAnswer {
  status: 'applied' | 'ignored';
  ignored?: string;
}

function requiredHeader(req: RawBodyRequest, name: string): string {
  const value = req.header(name);
  if (!value) throw new ValidationFailedError([{ field: name, message: 'header is required' }]);
  return value;
}

/** The signed JSON object, or a 400 when the (correctly signed) body is not one. */
function objectBody(req: RawBodyRequest): Body {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailedError([{ field: 'body', message: 'must be a JSON object' }]);
  }
  // Text PostgreSQL cannot store (NUL) would otherwise fail the write as a 500.
  const problem = jsonBodyProblem(body);
  if (problem) throw new ValidationFailedError([problem]);
  return body as Body;
}

/**
 * Incremental updates of the tracker mirror. Public to the API-key guard: each route checks
 * its sender's HMAC signature instead, and answers 401 when the secret is not configured.
 */
@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('linear')
  @ApiOperation({ summary: 'Linear webhook (Linear-Signature HMAC, 60 s timestamp window)' })
  @HttpCode(200)
  async linear(
    @Req() req: RawBodyRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WebhookAnswer> {
    this.verify(req, this.config.LINEAR_WEBHOOK_SECRET, req.header('linear-signature'), 'Linear');
    const body = objectBody(req);
    const timestamp = body.webhookTimestamp;
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
      throw new ValidationFailedError([
        { field: 'webhookTimestamp', message: 'must be a number (ms since the epoch)' },
      ]);
    }
    // A correctly signed but old delivery is a replay attempt: refuse it like a bad signature.
    if (Math.abs(Date.now() - timestamp) > LINEAR_MAX_SKEW_MS) {
      throw new UnauthorizedError('The webhook timestamp is more than 60 s from our clock.');
    }
    const deliveryId = requiredHeader(req, 'linear-delivery');
    const event = typeof body.type === 'string' ? body.type : 'unknown';
    return this.handle(res, 'linear', deliveryId, event, readLinearDelivery(body));
  }

  @Public()
  @Post('github')
  @ApiOperation({ summary: 'GitHub webhook (X-Hub-Signature-256 HMAC)' })
  @HttpCode(200)
  async github(
    @Req() req: RawBodyRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WebhookAnswer> {
    const header = req.header('x-hub-signature-256');
    const signature = header?.startsWith('sha256=') ? header.slice('sha256='.length) : undefined;
    this.verify(req, this.config.GITHUB_WEBHOOK_SECRET, signature, 'GitHub');
    const body = objectBody(req);
    const deliveryId = requiredHeader(req, 'x-github-delivery');
    const event = requiredHeader(req, 'x-github-event');
    const outcome: WebhookOutcome =
      event === 'issues'
        ? readGithubIssuesDelivery(body, this.config.GITHUB_REPO)
        : { kind: 'ignored', reason: event === 'ping' ? 'ping' : 'event' };
    return this.handle(res, 'github', deliveryId, event, outcome);
  }

  /** 401 unless the secret is configured and `signature` is the HMAC of the bytes received. */
  private verify(
    req: RawBodyRequest,
    secret: string | undefined,
    signature: string | undefined,
    sender: string,
  ): void {
    if (!secret) throw new UnauthorizedError(`Webhooks from ${sender} are not configured.`);
    if (!signature || !hmacMatches(req.rawBody ?? Buffer.alloc(0), secret, signature)) {
      throw new UnauthorizedError(`The ${sender} webhook signature does not match.`);
    }
  }

  private async handle(
    res: Response,
    provider: 'linear' | 'github',
    deliveryId: string,
    event: string,
    outcome: WebhookOutcome,
  ): Promise<WebhookAnswer> {
    switch (outcome.kind) {
      case 'invalid':
        throw new ValidationFailedError(outcome.problems);
      case 'ignored':
        res.status(202);
        return { status: 'ignored', ignored: outcome.reason };
      case 'issue': {
        const result = await this.webhooks.apply(provider, deliveryId, event, outcome.change);
        if (result.status === 'replay') return { status: 'ignored', ignored: 'replay' };
        return { status: 'applied' };
      }
    }
  }
}
