import { MigrationInterface, QueryRunner } from 'typeorm';

export class TicketPriority1797000000000 implements MigrationInterface {
  name = 'TicketPriority1797000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Nullable: tickets filed before priorities, and issues Repro did not file, have none.
    await queryRunner.query(`ALTER TABLE "tickets" ADD "priority" jsonb`);
    await queryRunner.query(`ALTER TABLE "builtin_issues" ADD "priority" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "builtin_issues" DROP COLUMN "priority"`);
    await queryRunner.query(`ALTER TABLE "tickets" DROP COLUMN "priority"`);
  }
}
