import { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportResolvedClosed1795497376349 implements MigrationInterface {
  name = 'ReportResolvedClosed1795497376349';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."reports_active_by_update"`);
    await queryRunner.query(`ALTER TYPE "public"."report_status" RENAME TO "report_status_old"`);
    await queryRunner.query(
      `CREATE TYPE "public"."report_status" AS ENUM('received', 'analyzing', 'clarifying', 'deduping', 'filing', 'filed', 'duplicate', 'needs_human', 'failed', 'resolved', 'closed')`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "status" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "reports" ALTER COLUMN "status" TYPE "public"."report_status" USING "status"::"text"::"public"."report_status"`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "status" SET DEFAULT 'received'`);
    await queryRunner.query(`DROP TYPE "public"."report_status_old"`);
    await queryRunner.query(
      `CREATE INDEX "reports_active_by_update" ON "reports" ("status", "updated_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."reports_active_by_update"`);
    await queryRunner.query(
      `CREATE TYPE "public"."report_status_old" AS ENUM('received', 'analyzing', 'clarifying', 'deduping', 'filing', 'filed', 'duplicate', 'needs_human', 'failed')`,
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
  }
}
