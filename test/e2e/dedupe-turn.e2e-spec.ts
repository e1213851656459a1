import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { CandidateSearch } from '../../src/modules/dedupe/candidate-search';
import { createProject } from '../factories/project.factory';
import { createTestDatabase } from '../support/databases';

/**
 * Dedupe searches a project's reports before its turn and, in the turn, reads again only what
 * that search found and what decided since its mark. Together they must list what a search in
 * the turn would: the burst tests show it statistically, these show each case.
 */
describe("dedupe's turn: the search before it, then the recheck in it", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let search: CandidateSearch;
  let projectId: string;
  const WINDOW_MS = 120_000;
  const query = { title: 'csv export hangs on the reports page', body: '', signals: [] };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new DataSource({ ...dataSourceOptions(database.url), extra: { max: 3 } });
    await db.initialize();
    projectId = (await createProject(db, 'Turn')).project.id;
    search = new CandidateSearch(db);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  async function report(description: string, status = 'deduping'): Promise<string> {
    const [{ id }] = await db.query<{ id: string }[]>(
      `INSERT INTO reports (project_id, source, description, status)
       VALUES ($1, 'api', $2, $3) RETURNING id`,
      [projectId, description, status],
    );
    return id;
  }
  async function decide(reportId: string, decision: string): Promise<void> {
    await db.query(
      `INSERT INTO dedupe_results (report_id, project_id, decision) VALUES ($1, $2, $3)
       ON CONFLICT (report_id) DO UPDATE SET decision = EXCLUDED.decision,
         decided_seq = nextval('dedupe_decided_seq')`,
      [reportId, projectId, decision],
    );
  }
  async function created(id: string): Promise<Date> {
    const [row] = await db.query<{ created_at: Date }[]>(
      'SELECT created_at FROM reports WHERE id = $1',
      [id],
    );
    return row.created_at;
  }

  it('sees a report that decided to become a ticket after the search, and drops one that turned duplicate', async () => {
    const early = await report('CSV export hangs on the reports page after filtering');
    const other = await report('Export to CSV hangs forever on reports');
    const mine = await report(query.title);
    const of = { id: mine, createdAt: await created(mine) };
    const terms = await search.terms(projectId, query.title, query.body);

    const mark = await search.decisionMark(projectId);
    const before = await search.reports(projectId, query, terms, of, WINDOW_MS);
    // Both arrived before and have not decided: pending.
    expect(before.map((c) => [c.id, c.pending]).sort()).toEqual(
      [
        [early, true],
        [other, true],
      ].sort(),
    );

    // Meanwhile, in their turns: one becomes a ticket, the other a duplicate of it; and a third
    // report, which arrived after this one (so no search before could list it), becomes a ticket.
    await decide(early, 'new');
    await decide(other, 'duplicate');
    const later = await report('The CSV export hangs on the reports page again');
    await decide(later, 'new');

    const recheck = await search.reports(projectId, query, terms, of, WINDOW_MS, {
      ids: before.map((c) => c.id),
      since: mark,
    });
    const full = await search.reports(projectId, query, terms, of, WINDOW_MS);
    const listed = (cs: { id: string; pending?: boolean }[]) =>
      cs.map((c) => [c.id, c.pending]).sort();
    expect(listed(recheck)).toEqual(
      [
        [early, false],
        [later, false],
      ].sort(),
    );
    // The same as a whole search now.
    expect(listed(recheck)).toEqual(listed(full));
  });

  it('lists as pending a report that arrived earlier in the same millisecond', async () => {
    const q = { title: 'the invoice pdf preview is blank', body: '', signals: [] };
    // Stored microseconds apart in one millisecond: a JavaScript Date cannot tell them apart.
    const [{ base }] = await db.query<{ base: string }[]>(
      `SELECT date_trunc('milliseconds', now())::text AS base`,
    );
    const at = async (description: string, micros: number) =>
      (
        await db.query<{ id: string; created_at: Date }[]>(
          `INSERT INTO reports (project_id, source, description, status, created_at)
           VALUES ($1, 'api', $2, 'deduping', $3::timestamptz + make_interval(secs => $4::float8 / 1e6))
           RETURNING id, created_at`,
          [projectId, description, base, micros],
        )
      )[0];
    const early = await at('The invoice PDF preview is blank for every invoice', 300);
    const mine = await at(q.title, 700);
    const terms = await search.terms(projectId, q.title, q.body);
    const listed = await search.reports(
      projectId,
      q,
      terms,
      { id: mine.id, createdAt: mine.created_at },
      WINDOW_MS,
    );
    expect(listed.map((c) => [c.id, c.pending])).toEqual([[early.id, true]]);
  });

  it('numbers a decision recorded again after the mark, so the recheck sees it', async () => {
    const a = await report('Saving a draft invoice loses the line items');
    await decide(a, 'possible_duplicate');
    const mine = await report('Saving a draft invoice drops line items');
    const q = { title: 'saving a draft invoice drops line items', body: '', signals: [] };
    const terms = await search.terms(projectId, q.title, q.body);
    const mark = await search.decisionMark(projectId);
    // A person confirmed it is a new bug: recorded again.
    await decide(a, 'new');
    const recheck = await search.reports(
      projectId,
      q,
      terms,
      { id: mine, createdAt: await created(mine) },
      WINDOW_MS,
      { ids: [], since: mark },
    );
    expect(recheck.map((c) => c.id)).toEqual([a]);
  });
});
