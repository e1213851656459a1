import { MigrationInterface, QueryRunner } from 'typeorm';

export class RecordingUnusable1796618000000 implements MigrationInterface {
  name = 'RecordingUnusable1796618000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Written by hand: adding an enum value needs no rewrite of the table.
    await queryRunner.query(
      `ALTER TYPE "public"."recording_status" ADD VALUE IF NOT EXISTS 'unusable'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "recordings" SET "status" = 'stored' WHERE "status" = 'unusable'`,
    );
    await queryRunner.query(
      `ALTER TYPE "public"."recording_status" RENAME TO "recording_status_old"`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."recording_status" AS ENUM('pending', 'stored', 'refused')`,
    );
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "status" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "recordings" ALTER COLUMN "status" TYPE "public"."recording_status" USING "status"::"text"::"public"."recording_status"`,
    );
    await queryRunner.query(`ALTER TABLE "recordings" ALTER COLUMN "status" SET DEFAULT 'pending'`);
    await queryRunner.query(`DROP TYPE "public"."recording_status_old"`);
  }
}
