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
import type { WebhookEndpoint } from './webhook-endpoint.entity';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One attempt, as the delivery log shows it. */
export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
}

/**
 * The webhook outbox: one row per event per endpoint, written in the caller's transaction. Its
 * id is the `webhook-id` on every attempt (receivers dedupe on it); `delivered` is never sent again.
 */
@Entity('webhook_deliveries_out')
@Check('webhook_deliveries_out_status', `"status" IN ('pending', 'delivered', 'failed')`)
@Index('webhook_deliveries_out_idempotency', ['endpointId', 'idempotencyKey'], { unique: true })
@Index('webhook_deliveries_out_due', ['nextAttemptAt'], { where: `"status" = 'pending'` })
export class WebhookDeliveryOut {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  endpointId!: string;

  @ManyToOne('WebhookEndpoint', { onDelete: 'CASCADE' })
  @JoinColumn({ foreignKeyConstraintName: 'FK_webhook_deliveries_out_endpoint' })
  endpoint?: Relation<WebhookEndpoint>;

  @Column({ type: 'text' })
  event!: string;

  /** The caller's key for this notification, e.g. `report.resolved:<reportId>:<n>`. */
  @Column({ type: 'text' })
  idempotencyKey!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'text', default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ type: 'int', nullable: true })
  lastStatus!: number | null;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  /** Every attempt, oldest first (at most MAX_ATTEMPTS). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  attemptLog!: DeliveryAttempt[];

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
