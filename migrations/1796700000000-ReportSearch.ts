import { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportSearch1796700000000 implements MigrationInterface {
  name = 'ReportSearch1796700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Written by hand: dedupe compared each decision with up to 700 reports in flight or filed,
    // turning every one's description into words again; a trigger now does it once per report.
    await queryRunner.query(`ALTER TABLE "reports" ADD "search" tsvector`);
    await queryRunner.query(
      `CREATE FUNCTION reports_search() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search :=
           setweight(to_tsvector('english', split_part(NEW.description, E'\\n', 1)), 'A') ||
           setweight(to_tsvector('english', left(NEW.description, 6000)), 'B');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER reports_search BEFORE INSERT OR UPDATE OF description ON reports
       FOR EACH ROW EXECUTE FUNCTION reports_search()`,
    );
    // Only the reports dedupe looks at (14 days); older ones are computed when read.
    await queryRunner.query(
      `UPDATE reports SET description = description WHERE created_at > now() - interval '14 days'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER reports_search ON reports`);
    await queryRunner.query(`DROP FUNCTION reports_search()`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "search"`);
  }
}
