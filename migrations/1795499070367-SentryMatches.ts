import { MigrationInterface, QueryRunner } from 'typeorm';

export class SentryMatches1795499070367 implements MigrationInterface {
  name = 'SentryMatches1795499070367';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."sentry_match_status" AS ENUM('matched', 'no_match', 'unavailable')`,
    );
    await queryRunner.query(
      `CREATE TABLE "sentry_matches" ("report_id" uuid NOT NULL, "project_id" uuid NOT NULL, "status" "public"."sentry_match_status" NOT NULL, "sentry_issue_id" text, "score" real, "issue" jsonb, "candidates" jsonb NOT NULL DEFAULT '[]', "problem" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_41066d826b731b3ee0e500e43d8" PRIMARY KEY ("report_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "sentry_matches_project_issue" ON "sentry_matches" ("project_id", "sentry_issue_id") WHERE "sentry_issue_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "sentry_matches" ADD CONSTRAINT "FK_41066d826b731b3ee0e500e43d8" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "sentry_matches" DROP CONSTRAINT "FK_41066d826b731b3ee0e500e43d8"`,
    );
    await queryRunner.query(`DROP INDEX "public"."sentry_matches_project_issue"`);
    await queryRunner.query(`DROP TABLE "sentry_matches"`);
    await queryRunner.query(`DROP TYPE "public"."sentry_match_status"`);
  }
}
