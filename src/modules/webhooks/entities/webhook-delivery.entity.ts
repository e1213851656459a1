import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One row per webhook delivery taken in, so that a replayed delivery is recognised and ignored. */
@Entity('webhook_deliveries')
export class WebhookDelivery {
  /** linear or github: delivery ids are unique per sender only. */
  @PrimaryColumn({ type: 'text' })
  provider!: string;

  /** Linear-Delivery / X-GitHub-Delivery. */
  @PrimaryColumn({ type: 'text' })
  deliveryId!: string;

  /** The event type (Issue, issues, ping...), for whoever reads the table. */
  @Column({ type: 'text' })
  event!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  receivedAt!: Date;
}
