import { MigrationInterface, QueryRunner } from 'typeorm';

export class TrackerError1795494540041 implements MigrationInterface {
  name = 'TrackerError1795494540041';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" ADD "tracker_error" text`);
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "tracker_error_at" TIMESTAMP WITH TIME ZONE`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "tracker_error_at"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "tracker_error"`);
  }
}
