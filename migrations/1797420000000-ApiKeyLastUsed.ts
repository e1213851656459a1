import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeyLastUsed1797420000000 implements MigrationInterface {
  name = 'ApiKeyLastUsed1797420000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // When each key last authenticated a request, shown in the settings' key list.
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "last_used_at"`);
  }
}
