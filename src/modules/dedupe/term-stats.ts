import type { Queryable } from './candidate-search';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Recounts, for one project, how many open issues contain each stemmed word (PostgreSQL's
 * ts_stat over the search column). Run in the background after syncs; dedupe reads the counts
 * to weigh rare words above common ones. Returns the number of open issues counted.
 */
export async function refreshTermStats(db: Queryable, projectId: string): Promise<number> {
  if (!UUID.test(projectId)) throw new Error(`Not a project id: ${projectId}`);
  // ts_stat takes its query as text; the id is checked above, so inlining it is safe.
  const inner = `SELECT search FROM tracker_issues WHERE project_id = '${projectId}' AND open`;
  await db.query('DELETE FROM dedupe_term_stats WHERE project_id = $1', [projectId]);
  await db.query(
    `INSERT INTO dedupe_term_stats (project_id, lexeme, docs)
     SELECT $1, word, ndoc FROM ts_stat($2)`,
    [projectId, inner],
  );
  const [{ docs }] = await db.query<{ docs: number }[]>(
    `INSERT INTO dedupe_corpus_stats (project_id, docs, refreshed_at)
     SELECT $1, count(*)::int, now() FROM tracker_issues WHERE project_id = $1 AND open
     ON CONFLICT (project_id) DO UPDATE SET docs = EXCLUDED.docs, refreshed_at = EXCLUDED.refreshed_at
     RETURNING docs`,
    [projectId],
  );
  return docs;
}
