import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailWebhookSecrets1797210000000 implements MigrationInterface {
  name = 'EmailWebhookSecrets1797210000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" ADD "email_postmark_password_hash" text`);
    await queryRunner.query(`ALTER TABLE "projects" ADD "email_sendgrid_password_hash" text`);
    await queryRunner.query(`ALTER TABLE "projects" ADD "email_mailgun_signing_key" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_mailgun_signing_key"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_sendgrid_password_hash"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_postmark_password_hash"`);
  }
}
