import { MigrationInterface, QueryRunner } from 'typeorm';

export class DuplicateActions1795495589247 implements MigrationInterface {
  name = 'DuplicateActions1795495589247';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ticket_accounts" ("ticket_id" uuid NOT NULL, "account_key" text NOT NULL, "report_id" uuid NOT NULL, "announced_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_90fde2b41fbe566d519129232ca" PRIMARY KEY ("ticket_id", "account_key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "builtin_comments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "issue_id" uuid NOT NULL, "idempotency_key" text NOT NULL, "body" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b0c9b0ce902f2d09e9642c3165d" UNIQUE ("idempotency_key"), CONSTRAINT "PK_8095433f08938f70a237bf168b1" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_b5c5fa241effa9a3a965522ffa" ON "builtin_comments" ("issue_id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_b5c5fa241effa9a3a965522ffa"`);
    await queryRunner.query(`DROP TABLE "builtin_comments"`);
    await queryRunner.query(`DROP TABLE "ticket_accounts"`);
  }
}
