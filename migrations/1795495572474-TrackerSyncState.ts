import { MigrationInterface, QueryRunner } from 'typeorm';

export class TrackerSyncState1795495572474 implements MigrationInterface {
  name = 'TrackerSyncState1795495572474';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."tracker_sync_status" AS ENUM('idle', 'running', 'rate_limited', 'failed')`,
    );
    await queryRunner.query(
      `CREATE TABLE "tracker_sync_state" ("project_id" uuid NOT NULL, "provider" "public"."mirror_provider" NOT NULL, "cursor" text, "pass_since" TIMESTAMP WITH TIME ZONE, "pass_started_at" TIMESTAMP WITH TIME ZONE, "watermark" TIMESTAMP WITH TIME ZONE, "last_completed_at" TIMESTAMP WITH TIME ZONE, "status" "public"."tracker_sync_status" NOT NULL DEFAULT 'idle', "resume_after" TIMESTAMP WITH TIME ZONE, "last_error" text, "pages_synced" integer NOT NULL DEFAULT '0', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f95cfa60e42bb9400508a9482dc" PRIMARY KEY ("project_id", "provider"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tracker_sync_state"`);
    await queryRunner.query(`DROP TYPE "public"."tracker_sync_status"`);
  }
}
