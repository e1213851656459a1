import { MigrationInterface, QueryRunner } from 'typeorm';

export class TriageAgent1795508530866 implements MigrationInterface {
  name = 'TriageAgent1795508530866';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "agent_steps" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "report_id" uuid NOT NULL, "run" integer NOT NULL, "seq" integer NOT NULL, "engine" text NOT NULL, "tool" text NOT NULL, "arguments" jsonb NOT NULL DEFAULT '{}', "result" text NOT NULL, "tokens_in" integer NOT NULL DEFAULT '0', "tokens_out" integer NOT NULL DEFAULT '0', "tokens_cached" integer NOT NULL DEFAULT '0', "latency_ms" integer NOT NULL DEFAULT '0', "reason" text NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8b98d514603983a4aab90a73f79" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "agent_steps_by_report" ON "agent_steps" ("report_id", "run", "seq") `,
    );
    await queryRunner.query(`CREATE TYPE "public"."message_author" AS ENUM('agent', 'reporter')`);
    await queryRunner.query(
      `CREATE TABLE "report_messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "report_id" uuid NOT NULL, "author" "public"."message_author" NOT NULL, "body" text NOT NULL, "questions" jsonb NOT NULL DEFAULT '[]', "channel" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2bfc7bcd020f265776d90e3ce99" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "report_messages_by_report" ON "report_messages" ("report_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "report_triage" ("report_id" uuid NOT NULL, "project_id" uuid NOT NULL, "engine" text NOT NULL, "facts" jsonb NOT NULL, "proposal" jsonb, "decision" jsonb, "confidence" real, "fallback_reason" text, "runs" integer NOT NULL DEFAULT '0', "questions_asked" integer NOT NULL DEFAULT '0', "clarify_closed_at" TIMESTAMP WITH TIME ZONE, "redactions" jsonb NOT NULL DEFAULT '{}', "human_decision" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_070536a1d6eb6d4121c8f3a7a92" PRIMARY KEY ("report_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ADD "reporter_token_hash" text`);
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "agent_policy" jsonb NOT NULL DEFAULT '{}'`,
    );
    // Hand-written: adding an enum value needs no rewrite of the reports table (PostgreSQL 12+).
    await queryRunner.query(
      `ALTER TYPE "public"."report_status" ADD VALUE IF NOT EXISTS 'rejected' BEFORE 'resolved'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."reports_active_by_update"`);
    await queryRunner.query(
      `CREATE TYPE "public"."report_status_old" AS ENUM('received', 'analyzing', 'clarifying', 'deduping', 'filing', 'filed', 'duplicate', 'needs_human', 'failed', 'resolved', 'closed')`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "status" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "reports" ALTER COLUMN "status" TYPE "public"."report_status_old" USING "status"::"text"::"public"."report_status_old"`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "status" SET DEFAULT 'received'`);
    await queryRunner.query(`DROP TYPE "public"."report_status"`);
    await queryRunner.query(`ALTER TYPE "public"."report_status_old" RENAME TO "report_status"`);
    await queryRunner.query(
      `CREATE INDEX "reports_active_by_update" ON "reports" ("status", "updated_at") `,
    );
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "agent_policy"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "reporter_token_hash"`);
    await queryRunner.query(`DROP TABLE "report_triage"`);
    await queryRunner.query(`DROP INDEX "public"."report_messages_by_report"`);
    await queryRunner.query(`DROP TABLE "report_messages"`);
    await queryRunner.query(`DROP TYPE "public"."message_author"`);
    await queryRunner.query(`DROP INDEX "public"."agent_steps_by_report"`);
    await queryRunner.query(`DROP TABLE "agent_steps"`);
  }
}
