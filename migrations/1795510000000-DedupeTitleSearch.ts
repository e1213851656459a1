import { MigrationInterface, QueryRunner } from 'typeorm';

export class DedupeTitleSearch1795510000000 implements MigrationInterface {
  name = 'DedupeTitleSearch1795510000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tracker_issues" ADD "title_search" tsvector`);
    // Written by hand: the trigger now keeps the title's words apart too (short, never TOASTed,
    // so dedupe can test and rank many titles cheaply), and a GIN index over open issues' titles.
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION tracker_issues_search() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.title_search := setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A');
         NEW.search :=
           NEW.title_search ||
           setweight(to_tsvector('english', left(coalesce(NEW.body, ''), 6000)), 'B');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(
      `UPDATE tracker_issues SET title_search = setweight(to_tsvector('english', coalesce(title, '')), 'A')`,
    );
    await queryRunner.query(
      `CREATE INDEX tracker_issues_title_search ON tracker_issues USING gin (title_search) WHERE open`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tracker_issues_title_search`);
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION tracker_issues_search() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search :=
           setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
           setweight(to_tsvector('english', left(coalesce(NEW.body, ''), 6000)), 'B');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(`ALTER TABLE "tracker_issues" DROP COLUMN "title_search"`);
  }
}
