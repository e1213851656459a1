import { join } from 'node:path';
import type { EvalReport } from '../../src/modules/dedupe/eval/dedupe-eval';
import { createTestDatabase } from '../support/databases';
import { reproInProcess, ROOT } from '../support/process';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'dedupe');

/**
 * `repro eval dedupe` on a fixture whose answers are known by construction:
 * - #101 is word for word #1: found first, and merged automatically (rightly);
 * - #102 says what #2 says in other words: found first, but only a person would merge it;
 * - #103 shares no word with #3: not found;
 * - distractors #13 and #14 are word for word the same issue, so querying either with the
 *   other in the pool merges automatically: two false merges;
 * - #20 belongs to another repository (acme/mobile).
 */
describe('repro eval dedupe', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  async function evaluate(...extra: string[]): Promise<{ stdout: string; stderr: string }> {
    const { code, stdout, stderr } = await reproInProcess(
      [
        'eval',
        'dedupe',
        '--pairs',
        join(FIXTURES, 'pairs.jsonl'),
        '--distractors',
        join(FIXTURES, 'distractors.jsonl'),
        ...extra,
      ],
      { DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
    );
    // A failure shows what it wrote.
    expect({ code, stderr }).toMatchObject({ code: 0 });
    return { stdout, stderr };
  }

  it('prints the known figures as JSON, beside the plain full-text baseline, and leaves nothing behind', async () => {
    const { stdout } = await evaluate('--json');
    const report = JSON.parse(stdout) as EvalReport;
    expect(report).toMatchObject({
      n: 3,
      pool: 9,
      recall_at_1: 0.667,
      recall_at_5: 0.667,
      recall_at_10: 0.667,
      mrr: 0.667,
      auto_precision: 0.333,
      auto_recall: 0.333,
      negatives: 6,
      false_merges: 2,
      baseline: { n: 3, pool: 9, recall_at_1: 0.667, recall_at_5: 0.667, auto_precision: null },
    });
    expect(report.p95_ms).toBeGreaterThan(0);
    expect(report.p95_ms).toBeGreaterThanOrEqual(report.p50_ms);
    expect(report.per_original).toEqual([
      { original: 'acme/app#1', duplicates: 1, recall_at_1: 1, recall_at_5: 1 },
      { original: 'acme/app#2', duplicates: 1, recall_at_1: 1, recall_at_5: 1 },
      { original: 'acme/app#3', duplicates: 1, recall_at_1: 0, recall_at_5: 0 },
    ]);
    // The scratch schema is gone.
    const { Client } = await import('pg');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'repro_eval_%'",
    );
    await client.end();
    expect(rows).toEqual([]);
  });

  it('prints a side-by-side table, and figures per repository with --per-repo', async () => {
    const { stdout } = await evaluate();
    expect(stdout).toMatch(/^metric\s+repro\s+baseline$/m);
    expect(stdout).toMatch(/^recall@1\s+0\.667\s+0\.667$/m);
    expect(stdout).toMatch(/^auto-merge precision\s+0\.333\s+-$/m);
    expect(stdout).toContain('2 false merge(s) over 3 duplicates and 6 negatives');

    const perRepo = JSON.parse((await evaluate('--per-repo', '--json')).stdout) as EvalReport;
    // One tracker per repository: acme/mobile's issue is no longer in acme/app's pool.
    expect(perRepo.per_repo).toEqual({
      'acme/app': expect.objectContaining({ n: 3, pool: 8, recall_at_1: 0.667, negatives: 5 }),
      'acme/mobile': expect.objectContaining({ n: 0, pool: 1, negatives: 1, false_merges: 0 }),
    });
  });
});
