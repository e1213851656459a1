import { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionReporters1797260000000 implements MigrationInterface {
  name = 'SessionReporters1797260000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "recording_sessions" ADD "reporter_email" text`);
    await queryRunner.query(`ALTER TABLE "recording_sessions" ADD "reporter_external_id" text`);
    await queryRunner.query(
      `CREATE INDEX "recording_sessions_reporter_email" ON "recording_sessions" ("project_id", "reporter_email", "updated_at") WHERE "reporter_email" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "recording_sessions_updated" ON "recording_sessions" ("updated_at") `,
    );
    await queryRunner.query(`CREATE INDEX "recordings_session" ON "recordings" ("session_id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."recordings_session"`);
    await queryRunner.query(`DROP INDEX "public"."recording_sessions_updated"`);
    await queryRunner.query(`DROP INDEX "public"."recording_sessions_reporter_email"`);
    await queryRunner.query(`ALTER TABLE "recording_sessions" DROP COLUMN "reporter_external_id"`);
    await queryRunner.query(`ALTER TABLE "recording_sessions" DROP COLUMN "reporter_email"`);
  }
}
