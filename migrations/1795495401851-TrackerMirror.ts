import { MigrationInterface, QueryRunner } from 'typeorm';

export class TrackerMirror1795495401851 implements MigrationInterface {
  name = 'TrackerMirror1795495401851';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."mirror_provider" AS ENUM('builtin', 'linear', 'github')`,
    );
    await queryRunner.query(
      `CREATE TABLE "tracker_issues" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "provider" "public"."mirror_provider" NOT NULL, "external_id" text NOT NULL, "key" text NOT NULL, "url" text NOT NULL, "title" text NOT NULL, "body" text NOT NULL DEFAULT '', "state" text NOT NULL, "open" boolean NOT NULL, "labels" text array NOT NULL DEFAULT '{}', "remote_updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_eb7d24d37868e176709b12ce45a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "tracker_issues_open" ON "tracker_issues" ("project_id", "open") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "tracker_issues_project_external" ON "tracker_issues" ("project_id", "provider", "external_id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."tracker_issues_project_external"`);
    await queryRunner.query(`DROP INDEX "public"."tracker_issues_open"`);
    await queryRunner.query(`DROP TABLE "tracker_issues"`);
    await queryRunner.query(`DROP TYPE "public"."mirror_provider"`);
  }
}
