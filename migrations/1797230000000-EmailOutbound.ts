import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailOutbound1797230000000 implements MigrationInterface {
  name = 'EmailOutbound1797230000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "email_outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "report_id" uuid NOT NULL, "question_id" uuid NOT NULL, "message_id" text NOT NULL, "reply_token" text NOT NULL, "to_address" text NOT NULL, "subject" text NOT NULL, "body" text NOT NULL, "in_reply_to" text, "references" text array NOT NULL DEFAULT '{}', "status" text NOT NULL DEFAULT 'pending', "last_error" text, "sent_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "email_outbox_status" CHECK ("status" IN ('pending', 'sent', 'failed')), CONSTRAINT "PK_b6fbfc201f705fbf1ac87bd7197" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "email_outbox_report" ON "email_outbox" ("report_id") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_outbox_question" ON "email_outbox" ("question_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_outbox_message_id" ON "email_outbox" ("message_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_outbox_reply_token" ON "email_outbox" ("reply_token") `,
    );
    await queryRunner.query(
      `CREATE INDEX "email_outbox_pending" ON "email_outbox" ("status") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_outbox" ADD CONSTRAINT "FK_email_outbox_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_outbox" ADD CONSTRAINT "FK_email_outbox_report" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_outbox" ADD CONSTRAINT "FK_email_outbox_question" FOREIGN KEY ("question_id") REFERENCES "report_messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "email_outbox" DROP CONSTRAINT "FK_email_outbox_question"`,
    );
    await queryRunner.query(`ALTER TABLE "email_outbox" DROP CONSTRAINT "FK_email_outbox_report"`);
    await queryRunner.query(`ALTER TABLE "email_outbox" DROP CONSTRAINT "FK_email_outbox_project"`);
    await queryRunner.query(`DROP INDEX "public"."email_outbox_pending"`);
    await queryRunner.query(`DROP INDEX "public"."email_outbox_reply_token"`);
    await queryRunner.query(`DROP INDEX "public"."email_outbox_message_id"`);
    await queryRunner.query(`DROP INDEX "public"."email_outbox_question"`);
    await queryRunner.query(`DROP INDEX "public"."email_outbox_report"`);
    await queryRunner.query(`DROP TABLE "email_outbox"`);
  }
}
