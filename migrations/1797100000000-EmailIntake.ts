import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailIntake1797100000000 implements MigrationInterface {
  name = 'EmailIntake1797100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "email_staff_senders" text array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "email_unknown_senders" text NOT NULL DEFAULT 'report'`,
    );
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "email_domain_accounts" jsonb NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "email_questions_to" text NOT NULL DEFAULT 'reporter'`,
    );
    await queryRunner.query(
      `CREATE TABLE "email_messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "direction" text NOT NULL, "message_id" text, "content_hash" text NOT NULL, "from_address" text, "from_name" text, "subject" text NOT NULL DEFAULT '', "report_id" uuid, "status" text NOT NULL, "ignored_reason" text, "forwarded_by" text, "staff_note" text, "attachments" jsonb NOT NULL DEFAULT '[]', "raw" bytea, "raw_bytes" integer NOT NULL DEFAULT 0, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_email_messages" PRIMARY KEY ("id"), CONSTRAINT "email_messages_direction" CHECK ("direction" IN ('in', 'out')))`,
    );
    // The same mail delivered twice (a provider's retry, two ways in) is one row, one report.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_messages_project_message_id" ON "email_messages" ("project_id", "message_id") WHERE "message_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_messages_project_content_hash" ON "email_messages" ("project_id", "content_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "email_messages_report" ON "email_messages" ("report_id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_messages" ADD CONSTRAINT "FK_email_messages_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_messages" ADD CONSTRAINT "FK_email_messages_report" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "email_messages"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_questions_to"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_domain_accounts"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_unknown_senders"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_staff_senders"`);
  }
}
