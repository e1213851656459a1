import { MigrationInterface, QueryRunner } from 'typeorm';

export class OutgoingWebhooks1797500000000 implements MigrationInterface {
  name = 'OutgoingWebhooks1797500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Per-project outgoing webhook endpoints (issue 18), each with its own whsec_ secret.
    await queryRunner.query(
      `CREATE TABLE "webhook_endpoints" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "url" text NOT NULL, "secret" text NOT NULL, "events" text array NOT NULL DEFAULT '{}', "disabled_at" TIMESTAMP WITH TIME ZONE, "disabled_reason" text, "consecutive_failures" integer NOT NULL DEFAULT '0', "failing_since" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_webhook_endpoints" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_endpoints_project" ON "webhook_endpoints" ("project_id") `,
    );
    // The outbox of deliveries: its id is the webhook-id sent on every attempt.
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries_out" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "endpoint_id" uuid NOT NULL, "event" text NOT NULL, "idempotency_key" text NOT NULL, "payload" jsonb NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_status" integer, "last_error" text, "attempt_log" jsonb NOT NULL DEFAULT '[]', "delivered_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "webhook_deliveries_out_status" CHECK ("status" IN ('pending', 'delivered', 'failed')), CONSTRAINT "PK_webhook_deliveries_out" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "webhook_deliveries_out_idempotency" ON "webhook_deliveries_out" ("endpoint_id", "idempotency_key") `,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_out_due" ON "webhook_deliveries_out" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "FK_webhook_endpoints_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries_out" ADD CONSTRAINT "FK_webhook_deliveries_out_endpoint" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries_out"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
  }
}
