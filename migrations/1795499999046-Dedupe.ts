import { MigrationInterface, QueryRunner } from 'typeorm';

export class Dedupe1795499999046 implements MigrationInterface {
  name = 'Dedupe1795499999046';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."dedupe_decision" AS ENUM('duplicate', 'possible_duplicate', 'new')`,
    );
    await queryRunner.query(
      `CREATE TABLE "dedupe_results" ("report_id" uuid NOT NULL, "project_id" uuid NOT NULL, "decision" "public"."dedupe_decision" NOT NULL, "score" real, "candidates" jsonb NOT NULL DEFAULT '[]', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3d7e9a364173a1d16eef4f3d2de" PRIMARY KEY ("report_id"))`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."report_signal_kind" AS ENUM('sentry_issue', 'error_fingerprint', 'route', 'failing_request', 'clicked_element')`,
    );
    await queryRunner.query(
      `CREATE TABLE "report_signals" ("report_id" uuid NOT NULL, "kind" "public"."report_signal_kind" NOT NULL, "value" text NOT NULL, "project_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_422d2ec11a662b7cdfa9f13096f" PRIMARY KEY ("report_id", "kind", "value"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "report_signals_lookup" ON "report_signals" ("project_id", "kind", "value") `,
    );
    await queryRunner.query(
      `CREATE TABLE "dedupe_term_stats" ("project_id" uuid NOT NULL, "lexeme" text NOT NULL, "docs" integer NOT NULL, CONSTRAINT "PK_c4e0df67bd98f9b32c6c56a4bbd" PRIMARY KEY ("project_id", "lexeme"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "dedupe_corpus_stats" ("project_id" uuid NOT NULL, "docs" integer NOT NULL, "refreshed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e204898bc6d284b994a00ab2d6a" PRIMARY KEY ("project_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "tracker_issues" ADD "search" tsvector`);
    // Written by hand: the search column's trigger and the GIN indexes TypeORM cannot express.
    // Only the start of a long body counts: it holds the description; the rest is mostly logs.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(
      `CREATE FUNCTION tracker_issues_search() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search :=
           setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
           setweight(to_tsvector('english', left(coalesce(NEW.body, ''), 6000)), 'B');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tracker_issues_search BEFORE INSERT OR UPDATE OF title, body
       ON tracker_issues FOR EACH ROW EXECUTE FUNCTION tracker_issues_search()`,
    );
    await queryRunner.query(`UPDATE tracker_issues SET title = title`);
    await queryRunner.query(
      `CREATE INDEX tracker_issues_search ON tracker_issues USING gin (search) WHERE open`,
    );
    await queryRunner.query(
      `CREATE INDEX tracker_issues_title_trgm ON tracker_issues USING gin (lower(title) gin_trgm_ops) WHERE open`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tracker_issues_title_trgm`);
    await queryRunner.query(`DROP INDEX tracker_issues_search`);
    await queryRunner.query(`DROP TRIGGER tracker_issues_search ON tracker_issues`);
    await queryRunner.query(`DROP FUNCTION tracker_issues_search()`);
    await queryRunner.query(`ALTER TABLE "tracker_issues" DROP COLUMN "search"`);
    await queryRunner.query(`DROP TABLE "dedupe_corpus_stats"`);
    await queryRunner.query(`DROP TABLE "dedupe_term_stats"`);
    await queryRunner.query(`DROP INDEX "public"."report_signals_lookup"`);
    await queryRunner.query(`DROP TABLE "report_signals"`);
    await queryRunner.query(`DROP TYPE "public"."report_signal_kind"`);
    await queryRunner.query(`DROP TABLE "dedupe_results"`);
    await queryRunner.query(`DROP TYPE "public"."dedupe_decision"`);
  }
}
