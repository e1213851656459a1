import { MigrationInterface, QueryRunner } from 'typeorm';

export class RecordingChunks1795491672986 implements MigrationInterface {
  name = 'RecordingChunks1795491672986';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "recording_chunks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "session_id" text NOT NULL, "seq" integer NOT NULL, "data_gz" bytea NOT NULL, "compressed_size" integer NOT NULL, "byte_size" integer NOT NULL, "event_count" integer NOT NULL, "content_hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_850e92e5f6ff8cfee976e1ca30b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "recording_chunks_session_seq" ON "recording_chunks" ("project_id", "session_id", "seq") `,
    );
    await queryRunner.query(
      `CREATE TABLE "recording_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "session_id" text NOT NULL, "compressed_bytes" bigint NOT NULL DEFAULT '0', "inflated_bytes" bigint NOT NULL DEFAULT '0', "chunk_count" integer NOT NULL DEFAULT '0', "refused_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2a12fc981bb1e09a1daa92478c0" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "recording_sessions_project_session" ON "recording_sessions" ("project_id", "session_id") `,
    );
    // Inline recordings stored so far become one-chunk sessions named after their report.
    await queryRunner.query(
      `INSERT INTO "recording_sessions" ("project_id", "session_id", "compressed_bytes", "inflated_bytes", "chunk_count") SELECT p."project_id", r."report_id"::text, r."compressed_size", r."byte_size", 1 FROM "recordings" r JOIN "reports" p ON p."id" = r."report_id"`,
    );
    await queryRunner.query(
      `INSERT INTO "recording_chunks" ("project_id", "session_id", "seq", "data_gz", "compressed_size", "byte_size", "event_count", "content_hash") SELECT p."project_id", r."report_id"::text, 0, r."events_gz", r."compressed_size", r."byte_size", r."event_count", '' FROM "recordings" r JOIN "reports" p ON p."id" = r."report_id"`,
    );
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "events_gz"`);
    await queryRunner.query(`ALTER TABLE "recordings" ADD "session_id" text`);
    await queryRunner.query(`UPDATE "recordings" SET "session_id" = "report_id"::text`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "session_id" SET NOT NULL`);
    await queryRunner.query(
      `CREATE TYPE "public"."recording_status" AS ENUM('pending', 'stored', 'refused')`,
    );
    await queryRunner.query(
      `ALTER TABLE "recordings" ADD "status" "public"."recording_status" NOT NULL DEFAULT 'stored'`,
    );
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "status" SET DEFAULT 'pending'`);
    await queryRunner.query(`ALTER TABLE "recordings" ADD "refused_reason" text`);
    await queryRunner.query(`ALTER TABLE "recordings" ADD "analysis" jsonb`);
    await queryRunner.query(`ALTER TABLE "recordings" ADD "analyzed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "recordings" ADD "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "byte_size" TYPE bigint`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "byte_size" SET DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "compressed_size" TYPE bigint`);
    await queryRunner.query(
      `ALTER TABLE "recordings" ALTER COLUMN "compressed_size" SET DEFAULT '0'`,
    );
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "event_count" SET DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "duration_ms" SET DEFAULT '0'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Back to one blob per report: seq 0 of its session holds inline recordings.
    await queryRunner.query(`ALTER TABLE "recordings" ADD "events_gz" bytea`);
    await queryRunner.query(
      `UPDATE "recordings" r SET "events_gz" = c."data_gz" FROM "recording_chunks" c JOIN "reports" p ON p."project_id" = c."project_id" WHERE p."id" = r."report_id" AND c."session_id" = r."session_id" AND c."seq" = 0`,
    );
    await queryRunner.query(`DELETE FROM "recordings" WHERE "events_gz" IS NULL`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "events_gz" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "duration_ms" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "event_count" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "compressed_size" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "compressed_size" TYPE integer`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "byte_size" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "byte_size" TYPE integer`);
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "updated_at"`);
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "analyzed_at"`);
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "analysis"`);
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "refused_reason"`);
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "status"`);
    await queryRunner.query(`DROP TYPE "public"."recording_status"`);
    await queryRunner.query(`ALTER TABLE "recordings" DROP COLUMN "session_id"`);
    await queryRunner.query(`DROP INDEX "public"."recording_sessions_project_session"`);
    await queryRunner.query(`DROP TABLE "recording_sessions"`);
    await queryRunner.query(`DROP INDEX "public"."recording_chunks_session_seq"`);
    await queryRunner.query(`DROP TABLE "recording_chunks"`);
  }
}
