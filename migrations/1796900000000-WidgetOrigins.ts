import { MigrationInterface, QueryRunner } from 'typeorm';

export class WidgetOrigins1796900000000 implements MigrationInterface {
  name = 'WidgetOrigins1796900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Defaults fill existing rows without a rewrite: no origins allowed, ticket key hidden.
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "widget_allowed_origins" text array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "projects" ADD "widget_show_ticket_key" boolean NOT NULL DEFAULT false`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "widget_show_ticket_key"`);
    await queryRunner.query(`ALTER TABLE "projects" DROP COLUMN "widget_allowed_origins"`);
  }
}
