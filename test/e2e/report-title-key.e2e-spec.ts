import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { IDENTIFIER_SQL_PATTERN, withoutIdentifiers } from '../../src/modules/dedupe/identifiers';
import { createProject } from '../factories/project.factory';
import { createTestDatabase } from '../support/databases';

/**
 * The trigger from migration DedupeTurn keeps `reports.title_key`, the title dedupe compares, with
 * a copy of the id pattern in `dedupe/identifiers.ts`. When the pattern changes, this fails until
 * a new migration brings the trigger up to date.
 */
describe('reports.title_key', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let projectId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = new DataSource({ ...dataSourceOptions(database.url), extra: { max: 2 } });
    await db.initialize();
    projectId = (await createProject(db, 'Title key')).project.id;
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const titles = [
    'Export FAILS for order 1234567 (ref 8f3k2a9x)',
    'Crash id 3f2504e0-4f89-11d3-9a0c-0305e82c3301 when saving',
    'Request deadbeef42 timed out on /v2/items; h264 and mp4 uploads fine',
    'Error 40404 on checkout',
    'Plain title, no ids at all',
  ];

  async function insert(description: string): Promise<string> {
    const [{ id }] = await db.query<{ id: string }[]>(
      `INSERT INTO reports (project_id, source, description) VALUES ($1, 'api', $2) RETURNING id`,
      [projectId, description],
    );
    return id;
  }

  async function titleKey(id: string): Promise<{ stored: string; live: string }> {
    const [row] = await db.query<{ stored: string; live: string }[]>(
      `SELECT title_key AS stored,
              lower(regexp_replace(split_part(description, E'\\n', 1), $2, ' ', 'gi')) AS live
       FROM reports WHERE id = $1`,
      [id, IDENTIFIER_SQL_PATTERN],
    );
    return row;
  }

  it("is the first line, lowercased, without ids, as identifiers.ts's pattern reads it", async () => {
    for (const title of titles) {
      const { stored, live } = await titleKey(await insert(`${title}\nsecond line 99999 ignored`));
      expect(stored).toBe(live);
      // The same words the JavaScript side compares with.
      const words = (text: string) => text.split(/\s+/).filter(Boolean);
      expect(words(stored)).toEqual(words(withoutIdentifiers(title).toLowerCase()));
    }
  });

  it('follows an edited description', async () => {
    const id = await insert('Upload stalls at 99% for file 7777777');
    await db.query(`UPDATE reports SET description = $2 WHERE id = $1`, [
      id,
      'Download stalls for file 8888888',
    ]);
    const { stored, live } = await titleKey(id);
    expect(stored).toBe(live);
    expect(stored).toContain('download stalls for file');
    expect(stored).not.toContain('8888888');
  });
});
