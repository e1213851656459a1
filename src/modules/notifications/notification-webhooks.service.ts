import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource, type EntityManager } from 'typeorm';
import { ValidationFailedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import type { DeliveryAttempt } from './entities/webhook-delivery-out.entity';
import { WebhookDeliveryOut } from './entities/webhook-delivery-out.entity';
import {
  WEBHOOK_EVENTS,
  WebhookEndpoint,
  type WebhookEvent,
} from './entities/webhook-endpoint.entity';
import { postPinned, type PostOutcome } from './webhook-http';
import { DISABLE_AFTER_FAILING_MS, nextAttemptAt } from './webhook-retry';
import { ForbiddenTargetError, type HostLookup, systemLookup, vetTarget } from './webhook-target';

/** How long a claimed delivery is left alone before another run may try it (a crashed sender). */
const CLAIM_LEASE_MS = 60_000;
/** Deliveries one deliverDue() call sends at most. */
const BATCH = 50;

/** WEBHOOK_ALLOW_PRIVATE_TARGETS, false when the setting is absent. */
export function allowPrivateTargets(config: AppConfig): boolean {
  return config.WEBHOOK_ALLOW_PRIVATE_TARGETS;
}

export interface CreatedEndpoint {
  endpoint: WebhookEndpoint;
  /** `whsec_…`: shown once, at creation. */
  secret: string;
}

export interface EndpointListing {
  endpoint: WebhookEndpoint;
  lastDeliveries: WebhookDeliveryOut[];
}

/** What deliverDue() did, for logs and tests. */
export interface DeliveryRun {
  delivered: number;
  failed: number;
  retrying: number;
}

/**
 * Outgoing webhooks (Standard Webhooks): per-project endpoints with their own secrets, an outbox
 * of deliveries written in the caller's transaction, and delivery with retries for about a day,
 * to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_TARGETS), pinned to the address checked.
 */
@Injectable()
export class NotificationWebhooksService {
  private readonly logger = new Logger(NotificationWebhooksService.name);
  /** How host names are resolved; a test may answer for the DNS. */
  lookup: HostLookup = systemLookup;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** A new endpoint for a project; a private or unresolvable target is a 400 naming `url`. */
  async createEndpoint(
    projectId: string,
    url: string,
    events: readonly string[] = [],
  ): Promise<CreatedEndpoint> {
    const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (unknown.length) {
      throw new ValidationFailedError([
        {
          field: 'events',
          message: `unknown event ${unknown.join(', ')}; events are ${WEBHOOK_EVENTS.join(', ')}`,
        },
      ]);
    }
    try {
      await vetTarget(url, allowPrivateTargets(this.config), this.lookup);
    } catch (error) {
      if (error instanceof ForbiddenTargetError) {
        throw new ValidationFailedError([{ field: 'url', message: error.message }]);
      }
      throw error;
    }
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const repo = this.db.getRepository(WebhookEndpoint);
    const saved = await repo.save(
      repo.create({ projectId, url, secret, events: [...new Set(events)] }),
    );
    const endpoint = await repo.findOneByOrFail({ id: saved.id });
    return { endpoint, secret };
  }

  /** A project's endpoints (never their secrets), each with its latest deliveries. */
  async listEndpoints(projectId: string, lastDeliveries = 5): Promise<EndpointListing[]> {
    const endpoints = await this.db
      .getRepository(WebhookEndpoint)
      .find({ where: { projectId }, order: { createdAt: 'ASC' } });
    const deliveries = this.db.getRepository(WebhookDeliveryOut);
    return Promise.all(
      endpoints.map(async (endpoint) => ({
        endpoint,
        lastDeliveries: await deliveries.find({
          where: { endpointId: endpoint.id },
          order: { createdAt: 'DESC' },
          take: lastDeliveries,
        }),
      })),
    );
  }

  /** Deliveries of one endpoint, newest first: the delivery log. */
  deliveries(endpointId: string): Promise<WebhookDeliveryOut[]> {
    return this.db
      .getRepository(WebhookDeliveryOut)
      .find({ where: { endpointId }, order: { createdAt: 'DESC' } });
  }

  /** Turns an endpoint off (or back on, with null): a disabled endpoint is sent nothing. */
  async setDisabled(endpointId: string, reason: string | null): Promise<void> {
    await this.db
      .getRepository(WebhookEndpoint)
      .update(
        { id: endpointId },
        reason === null
          ? { disabledAt: null, disabledReason: null, consecutiveFailures: 0, failingSince: null }
          : { disabledAt: new Date(), disabledReason: reason },
      );
  }

  /**
   * In the caller's transaction: one delivery per enabled endpoint of the project subscribed to
   * the event. The same idempotency key again adds nothing. Returns how many were added.
   */
  async enqueue(
    manager: EntityManager,
    projectId: string,
    event: WebhookEvent,
    payload: Record<string, unknown>,
    idempotencyKey: string,
  ): Promise<number> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO webhook_deliveries_out (endpoint_id, event, idempotency_key, payload)
       SELECT e.id, $2, $3, $4::jsonb FROM webhook_endpoints e
        WHERE e.project_id = $1 AND e.disabled_at IS NULL
          AND (cardinality(e.events) = 0 OR $2 = ANY(e.events))
       ON CONFLICT (endpoint_id, idempotency_key) DO NOTHING
       RETURNING id`,
      [projectId, event, idempotencyKey, JSON.stringify(payload)],
    );
    return rows.length;
  }

  /**
   * Sends every delivery due at `now` to an enabled endpoint. Each is claimed first (its next
   * attempt moved a lease ahead), so two runs never send the same one at once.
   */
  async deliverDue(now: Date = new Date()): Promise<DeliveryRun> {
    const claimed: { id: string }[] = await this.db.query(
      // A CTE, so the driver returns the rows (a bare UPDATE ... RETURNING comes with a count).
      `WITH claimed AS (
         UPDATE webhook_deliveries_out SET next_attempt_at = $2
          WHERE id IN (
            SELECT d.id FROM webhook_deliveries_out d
              JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.disabled_at IS NULL
             ORDER BY d.next_attempt_at LIMIT $3
             FOR UPDATE OF d SKIP LOCKED)
          RETURNING id)
       SELECT id FROM claimed`,
      [now, new Date(now.getTime() + CLAIM_LEASE_MS), BATCH],
    );
    const run: DeliveryRun = { delivered: 0, failed: 0, retrying: 0 };
    for (const { id } of claimed) {
      const result = await this.deliverOne(id, now);
      if (result) run[result] += 1;
    }
    return run;
  }

  /**
   * One attempt at one delivery, unless it is no longer pending (the sent-marker) or its
   * endpoint is disabled. The webhook-id is the delivery's id on every attempt.
   */
  async deliverOne(
    deliveryId: string,
    now: Date = new Date(),
  ): Promise<'delivered' | 'failed' | 'retrying' | null> {
    if (typeof deliveryId !== 'string') throw new TypeError('deliveryId must be a string');
    const delivery = await this.db.getRepository(WebhookDeliveryOut).findOneBy({ id: deliveryId });
    if (!delivery || delivery.status !== 'pending') return null;
    const endpoint = await this.db
      .getRepository(WebhookEndpoint)
      .createQueryBuilder('e')
      .addSelect('e.secret')
      .where('e.id = :id', { id: delivery.endpointId })
      .getOne();
    if (!endpoint || endpoint.disabledAt) return null;

    const outcome = await this.attempt(endpoint, delivery);
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    return ok
      ? this.recordDelivered(delivery, outcome, now)
      : this.recordFailed(delivery, outcome, now);
  }

  /** The body exactly as it goes out: the same bytes on every attempt. */
  static body(delivery: WebhookDeliveryOut): string {
    return JSON.stringify({
      type: delivery.event,
      timestamp: delivery.createdAt.toISOString(),
      data: delivery.payload,
    });
  }

  private async attempt(
    endpoint: WebhookEndpoint,
    delivery: WebhookDeliveryOut,
  ): Promise<PostOutcome> {
    let vetted;
    try {
      vetted = await vetTarget(endpoint.url, allowPrivateTargets(this.config), this.lookup);
    } catch (error) {
      if (error instanceof ForbiddenTargetError)
        return { status: null, error: `refused: ${error.message}` };
      throw error;
    }
    const body = NotificationWebhooksService.body(delivery);
    // Signed at the moment of sending: receivers reject a timestamp far from their clock.
    const sentAt = new Date();
    const signature = new Webhook(endpoint.secret).sign(delivery.id, sentAt, body);
    const outcome = await postPinned(
      endpoint.url,
      vetted,
      {
        'content-type': 'application/json',
        'user-agent': 'Repro-Webhooks/1',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
    );
    if (outcome.status !== null && outcome.status >= 300 && outcome.status < 400) {
      return { status: outcome.status, error: 'redirect not followed' };
    }
    return outcome;
  }

  private async recordDelivered(
    delivery: WebhookDeliveryOut,
    outcome: PostOutcome,
    now: Date,
  ): Promise<'delivered'> {
    const entry: DeliveryAttempt = { at: now.toISOString(), status: outcome.status, error: null };
    await this.db.transaction(async (manager) => {
      await manager.query(
        `UPDATE webhook_deliveries_out
            SET status = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL,
                delivered_at = $3, attempt_log = attempt_log || $4::jsonb
          WHERE id = $1 AND status = 'pending'`,
        [delivery.id, outcome.status, now, JSON.stringify([entry])],
      );
      await manager.query(
        `UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1`,
        [delivery.endpointId],
      );
    });
    return 'delivered';
  }

  private async recordFailed(
    delivery: WebhookDeliveryOut,
    outcome: PostOutcome,
    now: Date,
  ): Promise<'failed' | 'retrying'> {
    const error = (outcome.error ?? `HTTP ${outcome.status}`).slice(0, 500);
    const entry: DeliveryAttempt = { at: now.toISOString(), status: outcome.status, error };
    const attempts = delivery.attempts + 1;
    const next = nextAttemptAt(attempts, now);
    this.logger.warn(
      `Webhook delivery ${delivery.id} (endpoint ${delivery.endpointId}) attempt ${attempts} failed: ${error}`,
    );
    await this.db.transaction(async (manager) => {
      await manager.query(
        `UPDATE webhook_deliveries_out
            SET status = $2, attempts = attempts + 1, last_status = $3, last_error = $4,
                next_attempt_at = COALESCE($5, next_attempt_at), attempt_log = attempt_log || $6::jsonb
          WHERE id = $1 AND status = 'pending'`,
        [
          delivery.id,
          next ? 'pending' : 'failed',
          outcome.status,
          error,
          next,
          JSON.stringify([entry]),
        ],
      );
      // An endpoint that has failed every attempt for a day is switched off, visibly.
      await manager.query(
        `UPDATE webhook_endpoints
            SET consecutive_failures = consecutive_failures + 1,
                failing_since = COALESCE(failing_since, $2),
                disabled_at = CASE WHEN COALESCE(failing_since, $2) <= $3 THEN $2 ELSE disabled_at END,
                disabled_reason = CASE WHEN COALESCE(failing_since, $2) <= $3
                  THEN 'every delivery failed since ' || to_char(COALESCE(failing_since, $2) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC ('
                       || (consecutive_failures + 1) || ' attempts in a row; last: ' || $4 || ')'
                  ELSE disabled_reason END
          WHERE id = $1 AND disabled_at IS NULL`,
        [delivery.endpointId, now, new Date(now.getTime() - DISABLE_AFTER_FAILING_MS), error],
      );
    });
    return next ? 'retrying' : 'failed';
  }
}
