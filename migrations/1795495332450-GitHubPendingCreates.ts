import { MigrationInterface, QueryRunner } from 'typeorm';

export class GitHubPendingCreates1795495332450 implements MigrationInterface {
  name = 'GitHubPendingCreates1795495332450';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tracker_pending_creates" ("report_id" uuid NOT NULL, "repo" text NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "issue_number" integer, CONSTRAINT "PK_f5cb72085990550ec8fdd980751" PRIMARY KEY ("report_id", "repo"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tracker_pending_creates"`);
  }
}
