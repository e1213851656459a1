import { MigrationInterface, QueryRunner } from 'typeorm';

export class TriageInbox1797410000000 implements MigrationInterface {
  name = 'TriageInbox1797410000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Written by hand. Support staff write to the reporter: their messages join the conversation.
    await queryRunner.query(`ALTER TYPE "public"."message_author" ADD VALUE IF NOT EXISTS 'staff'`);
    // The inbox's order (reports waiting for a person first, then newest first), read a page at
    // a time from a keyset on exactly these columns.
    await queryRunner.query(
      `CREATE INDEX "reports_inbox" ON "reports"
         ("project_id", ("status" = 'needs_human'), "created_at", "id")`,
    );
    // The inbox's text search over every report's words, old or new: an expression index, so
    // no backfill of the trigger-kept "search" column (which covers dedupe's recent reports).
    await queryRunner.query(
      `CREATE INDEX "reports_description_search" ON "reports"
         USING gin (to_tsvector('english', left("description", 6000)))`,
    );
    // Built-in tickets' links open the web app's ticket page now, the old ones included, so a
    // report shows the same link whenever its ticket was filed.
    for (const table of ['tickets', 'tracker_issues']) {
      await queryRunner.query(
        `UPDATE "${table}" SET "url" = replace("url", '/v1/tickets/', '/app/tickets/')
          WHERE "provider" = 'builtin' AND "url" LIKE '%/v1/tickets/%'`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['tickets', 'tracker_issues']) {
      await queryRunner.query(
        `UPDATE "${table}" SET "url" = replace("url", '/app/tickets/', '/v1/tickets/')
          WHERE "provider" = 'builtin' AND "url" LIKE '%/app/tickets/%'`,
      );
    }
    await queryRunner.query(`DROP INDEX "public"."reports_description_search"`);
    await queryRunner.query(`DROP INDEX "public"."reports_inbox"`);
    // PostgreSQL cannot drop an enum value: staff messages go, and the type is rebuilt.
    await queryRunner.query(`DELETE FROM "report_messages" WHERE "author" = 'staff'`);
    await queryRunner.query(`ALTER TYPE "public"."message_author" RENAME TO "message_author_old"`);
    await queryRunner.query(`CREATE TYPE "public"."message_author" AS ENUM('agent', 'reporter')`);
    await queryRunner.query(
      `ALTER TABLE "report_messages" ALTER COLUMN "author" TYPE "public"."message_author"
         USING "author"::text::"public"."message_author"`,
    );
    await queryRunner.query(`DROP TYPE "public"."message_author_old"`);
  }
}
