import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookDeliveries1795495455925 implements MigrationInterface {
  name = 'WebhookDeliveries1795495455925';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("provider" text NOT NULL, "delivery_id" text NOT NULL, "event" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_44c2e7fd858c1ac51689e6a0721" PRIMARY KEY ("provider", "delivery_id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
  }
}
