import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailSendgridPublicKey1797291000000 implements MigrationInterface {
  name = 'EmailSendgridPublicKey1797291000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" ADD "email_sendgrid_public_key" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "email_sendgrid_public_key"`);
  }
}
