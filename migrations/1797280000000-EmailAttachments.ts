import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailAttachments1797280000000 implements MigrationInterface {
  name = 'EmailAttachments1797280000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "email_attachments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "email_id" uuid NOT NULL, "report_id" uuid NOT NULL, "position" integer NOT NULL, "filename" text, "content_type" text NOT NULL, "size" integer NOT NULL, "content" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e11a47d59e6c93a48cd3832ab94" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "email_attachments_report" ON "email_attachments" ("report_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "email_attachments" ADD CONSTRAINT "FK_email_attachments_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_attachments" ADD CONSTRAINT "FK_email_attachments_email" FOREIGN KEY ("email_id") REFERENCES "email_messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_attachments" ADD CONSTRAINT "FK_email_attachments_report" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "email_attachments" DROP CONSTRAINT "FK_email_attachments_report"`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_attachments" DROP CONSTRAINT "FK_email_attachments_email"`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_attachments" DROP CONSTRAINT "FK_email_attachments_project"`,
    );
    await queryRunner.query(`DROP INDEX "public"."email_attachments_report"`);
    await queryRunner.query(`DROP TABLE "email_attachments"`);
  }
}
