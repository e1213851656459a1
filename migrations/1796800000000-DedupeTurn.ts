import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand, for the project's dedupe turn (one decision at a time per project), which
 * bounded pipeline throughput.
 *
 * Decisions are numbered (`dedupe_results.decided_seq`, from a sequence, renumbered when a
 * decision is recorded again), so a decision can search before its turn and, in the turn, look
 * only at what was decided since.
 *
 * Dedupe compares each decision's title with every report in flight or
 * recently filed (up to 700), lowercased and without its ids (`src/modules/dedupe/identifiers.ts`):
 * a regular expression per report per decision, inside the project's turn. The trigger that
 * keeps `search` (migration ReportSearch) now keeps that title too, once per report.
 *
 * The pattern below is the one in identifiers.ts when this migration was written; a spec
 * (`report-title-key.e2e-spec.ts`) fails when the two drift apart, and then a new migration
 * replaces the function.
 */
const IDENTIFIER_SQL_PATTERN = String.raw`\y(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[0-9a-f]*\d)[0-9a-f]{8,}|\d{5,}|(?=[a-z0-9]*(?:[a-z]\d+[a-z]|\d[a-z]+\d))[a-z0-9]{5,})\y`;

export class DedupeTurn1796800000000 implements MigrationInterface {
  name = 'DedupeTurn1796800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "dedupe_decided_seq"`);
    await queryRunner.query(
      `ALTER TABLE "dedupe_results" ADD "decided_seq" bigint NOT NULL DEFAULT nextval('dedupe_decided_seq')`,
    );
    await queryRunner.query(
      `CREATE INDEX "dedupe_results_project_new" ON "dedupe_results" ("project_id", "decided_seq") WHERE decision = 'new'`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ADD "title_key" text`);
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION reports_search() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search :=
           setweight(to_tsvector('english', split_part(NEW.description, E'\\n', 1)), 'A') ||
           setweight(to_tsvector('english', left(NEW.description, 6000)), 'B');
         NEW.title_key := lower(regexp_replace(
           split_part(NEW.description, E'\\n', 1), '${IDENTIFIER_SQL_PATTERN}', ' ', 'gi'));
         RETURN NEW;
       END $$`,
    );
    // The listing of recent reports per project walks this index newest first and stops.
    await queryRunner.query(
      `CREATE INDEX "reports_project_created" ON "reports" ("project_id", "created_at")`,
    );
    // Only the reports dedupe looks at (14 days); older ones are computed when read.
    await queryRunner.query(
      `UPDATE reports SET description = description WHERE created_at > now() - interval '14 days'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "reports_project_created"`);
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION reports_search() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search :=
           setweight(to_tsvector('english', split_part(NEW.description, E'\\n', 1)), 'A') ||
           setweight(to_tsvector('english', left(NEW.description, 6000)), 'B');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "title_key"`);
    await queryRunner.query(`DROP INDEX "dedupe_results_project_new"`);
    await queryRunner.query(`ALTER TABLE "dedupe_results" DROP COLUMN "decided_seq"`);
    await queryRunner.query(`DROP SEQUENCE "dedupe_decided_seq"`);
  }
}
