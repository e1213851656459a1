import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { CandidateSearch, type Queryable } from '../candidate-search';
import { decide, rankCandidates, type Thresholds } from '../dedupe-scorer';
import { refreshTermStats } from '../term-stats';

/** One line of a pairs file (the format of ../shared/datasets/dup-pairs.dev.jsonl). */
export interface DuplicatePair {
  repo: string;
  dup_number: number;
  dup_title: string;
  dup_body: string;
  orig_number: number;
  orig_title: string;
  orig_body: string;
}

/** One line of a distractors file. */
export interface Distractor {
  repo: string;
  number: number;
  title: string;
  body: string;
  url?: string;
}

export interface Figures {
  n: number;
  pool: number;
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  mrr: number;
  /** Of the automatic "duplicate" decisions, the share that named the right original; null if none. */
  auto_precision: number | null;
  auto_recall: number | null;
  p50_ms: number;
  p95_ms: number;
}

export interface EvalReport extends Figures {
  baseline: Figures;
  thresholds: Thresholds;
  /** Negatives: distractors queried against the pool without themselves. */
  negatives: number;
  false_merges: number;
  per_original: {
    original: string;
    duplicates: number;
    recall_at_1: number;
    recall_at_5: number;
  }[];
  per_repo?: Record<string, Omit<EvalReport, 'per_repo' | 'per_original' | 'thresholds'>>;
}

export interface EvalOptions {
  databaseUrl: string;
  pairs: DuplicatePair[];
  distractors: Distractor[];
  /** One tracker per repository instead of one for all. */
  perRepo: boolean;
  thresholds: Thresholds;
}

interface PoolIssue {
  repo: string;
  number: number;
  title: string;
  body: string;
}

/** Outcomes of one pool (or all): the duplicates, the baseline on them, the negatives. */
interface Bucket {
  pairs: Outcome[];
  baseline: Outcome[];
  negatives: Outcome[];
}

function emptyBucket(): Bucket {
  return { pairs: [], baseline: [], negatives: [] };
}

interface Outcome {
  rank: number | null;
  ms: number;
  auto: 'right' | 'wrong' | null;
}

export async function readJsonl<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, i }) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new Error(`${file}:${i + 1} is not JSON`);
      }
    });
}

/**
 * Loads every original and distractor as an open issue into a scratch schema (tables shaped
 * like the live ones, same trigger and indexes), queries with each duplicate through the same
 * retrieval and scoring the pipeline uses, and measures it beside plain full-text ranking.
 * The scratch schema is dropped afterwards, whatever happens.
 */
export async function evaluateDedupe(options: EvalOptions): Promise<EvalReport> {
  const client = new Client({ connectionString: options.databaseUrl });
  await client.connect();
  const schema = `repro_eval_${randomBytes(4).toString('hex')}`;
  const db: Queryable = {
    query: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params as unknown[])).rows as T,
  };
  try {
    await createScratchSchema(client, schema);
    const pools = await loadPools(db, options);
    const search = new CandidateSearch(db);

    const all = emptyBucket();
    const byRepo = new Map<string, Bucket>();
    const bucketOf = (repo: string): Bucket => {
      const bucket = byRepo.get(repo) ?? emptyBucket();
      byRepo.set(repo, bucket);
      return bucket;
    };
    const perOriginal = new Map<string, Outcome[]>();
    for (const pair of options.pairs) {
      const pool = pools.forRepo(pair.repo);
      const target = pool.ids.get(`${pair.repo}#${pair.orig_number}`)!;
      const outcome = await runQuery(
        search,
        pool.projectId,
        pair.dup_title,
        pair.dup_body,
        options.thresholds,
        target,
      );
      const baseline = await runBaseline(
        search,
        pool.projectId,
        pair.dup_title,
        pair.dup_body,
        target,
      );
      for (const bucket of [all, bucketOf(pair.repo)]) {
        bucket.pairs.push(outcome);
        bucket.baseline.push(baseline);
      }
      const original = `${pair.repo}#${pair.orig_number}`;
      perOriginal.set(original, [...(perOriginal.get(original) ?? []), outcome]);
    }
    for (const issue of pools.distractors) {
      const pool = pools.forRepo(issue.repo);
      const self = pool.ids.get(`${issue.repo}#${issue.number}`)!;
      const outcome = await runQuery(
        search,
        pool.projectId,
        issue.title,
        issue.body,
        options.thresholds,
        null,
        self,
      );
      all.negatives.push(outcome);
      bucketOf(issue.repo).negatives.push(outcome);
    }

    const summarize = (bucket: Bucket, poolSize: number) => ({
      ...figures(bucket.pairs, bucket.negatives, poolSize),
      baseline: figures(bucket.baseline, [], poolSize, false),
      negatives: bucket.negatives.length,
      false_merges:
        bucket.negatives.filter((o) => o.auto !== null).length +
        bucket.pairs.filter((o) => o.auto === 'wrong').length,
    });
    const report: EvalReport = {
      ...summarize(all, pools.size),
      thresholds: options.thresholds,
      per_original: [...perOriginal.entries()].map(([original, outcomes]) => ({
        original,
        duplicates: outcomes.length,
        recall_at_1: share(outcomes, (o) => o.rank === 1),
        recall_at_5: share(outcomes, (o) => o.rank !== null && o.rank <= 5),
      })),
    };
    if (options.perRepo) {
      report.per_repo = Object.fromEntries(
        [...byRepo.entries()].map(([repo, bucket]) => [
          repo,
          summarize(bucket, pools.forRepo(repo).ids.size),
        ]),
      );
    }
    return report;
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  }
}

/** Empty copies of the tables retrieval reads, with the live search trigger and indexes. */
async function createScratchSchema(client: Client, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}, public`);
  for (const table of [
    'tracker_issues',
    'dedupe_term_stats',
    'dedupe_corpus_stats',
    'report_signals',
    'report_tickets',
    'tickets',
    'reports',
  ]) {
    await client.query(`CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING ALL)`);
  }
  await client.query(
    `CREATE TRIGGER tracker_issues_search BEFORE INSERT OR UPDATE OF title, body
     ON ${schema}.tracker_issues FOR EACH ROW EXECUTE FUNCTION public.tracker_issues_search()`,
  );
}

async function loadPools(db: Queryable, options: EvalOptions) {
  const issues = new Map<string, PoolIssue>();
  for (const p of options.pairs) {
    issues.set(`${p.repo}#${p.orig_number}`, {
      repo: p.repo,
      number: p.orig_number,
      title: p.orig_title,
      body: p.orig_body,
    });
  }
  const duplicates = new Set(options.pairs.map((p) => `${p.repo}#${p.dup_number}`));
  const distractors: PoolIssue[] = [];
  for (const d of options.distractors) {
    const key = `${d.repo}#${d.number}`;
    // A duplicate is the query, never part of the pool it is looked up in.
    if (issues.has(key) || duplicates.has(key)) continue;
    issues.set(key, { repo: d.repo, number: d.number, title: d.title, body: d.body ?? '' });
    distractors.push(issues.get(key)!);
  }
  const projects = new Map<string, { projectId: string; ids: Map<string, string> }>();
  const poolOf = (repo: string) => {
    const name = options.perRepo ? repo : '*';
    let pool = projects.get(name);
    if (!pool) {
      pool = { projectId: randomUUID(), ids: new Map() };
      projects.set(name, pool);
    }
    return pool;
  };
  for (const [key, issue] of issues) {
    const pool = poolOf(issue.repo);
    const [row] = await db.query<{ id: string }[]>(
      `INSERT INTO tracker_issues
         (project_id, provider, external_id, key, url, title, body, state, open, labels, remote_updated_at)
       VALUES ($1, 'github', $2, $2, $3, $4, $5, 'open', true, '{}', now()) RETURNING id`,
      [
        pool.projectId,
        key,
        `https://github.com/${issue.repo}/issues/${issue.number}`,
        issue.title,
        issue.body,
      ],
    );
    pool.ids.set(key, row.id);
  }
  for (const pool of projects.values()) await refreshTermStats(db, pool.projectId);
  return {
    size: issues.size,
    distractors,
    forRepo: (repo: string) => poolOf(repo),
  };
}

async function runQuery(
  search: CandidateSearch,
  projectId: string,
  title: string,
  body: string,
  thresholds: Thresholds,
  target: string | null,
  excludeIssueId?: string,
): Promise<Outcome> {
  const started = performance.now();
  const terms = await search.terms(projectId, title, body ?? '');
  const candidates = await search.issues(
    projectId,
    { title, body: body ?? '', signals: [] },
    terms,
    { excludeIssueId },
  );
  const ranked = rankCandidates(terms, candidates);
  const ms = performance.now() - started;
  const index = target ? ranked.findIndex((c) => c.id === target) : -1;
  const decision = decide(ranked[0], thresholds);
  return {
    rank: index >= 0 ? index + 1 : null,
    ms,
    auto: decision === 'duplicate' ? (ranked[0].id === target ? 'right' : 'wrong') : null,
  };
}

async function runBaseline(
  search: CandidateSearch,
  projectId: string,
  title: string,
  body: string,
  target: string,
): Promise<Outcome> {
  const started = performance.now();
  const ids = await search.baseline(projectId, `${title}\n${body ?? ''}`);
  const ms = performance.now() - started;
  const index = ids.indexOf(target);
  return { rank: index >= 0 ? index + 1 : null, ms, auto: null };
}

function figures(
  outcomes: Outcome[],
  negatives: Outcome[],
  pool: number,
  withAuto = true,
): Figures {
  const times = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const right = outcomes.filter((o) => o.auto === 'right').length;
  const wrong =
    outcomes.filter((o) => o.auto === 'wrong').length +
    negatives.filter((o) => o.auto !== null).length;
  return {
    n: outcomes.length,
    pool,
    recall_at_1: share(outcomes, (o) => o.rank === 1),
    recall_at_5: share(outcomes, (o) => o.rank !== null && o.rank <= 5),
    recall_at_10: share(outcomes, (o) => o.rank !== null && o.rank <= 10),
    mrr: round(
      outcomes.reduce((sum, o) => sum + (o.rank ? 1 / o.rank : 0), 0) /
        Math.max(1, outcomes.length),
    ),
    auto_precision: withAuto && right + wrong > 0 ? round(right / (right + wrong)) : null,
    auto_recall: withAuto && outcomes.length ? round(right / outcomes.length) : null,
    p50_ms: round(percentile(times, 0.5)),
    p95_ms: round(percentile(times, 0.95)),
  };
}

function share<T>(items: T[], test: (item: T) => boolean): number {
  return items.length ? round(items.filter(test).length / items.length) : 0;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The side-by-side table the CLI prints without --json. */
export function formatReport(report: EvalReport): string {
  const rows: [string, (f: Figures) => string][] = [
    ['queries', (f) => String(f.n)],
    ['pool (open issues)', (f) => String(f.pool)],
    ['recall@1', (f) => f.recall_at_1.toFixed(3)],
    ['recall@5', (f) => f.recall_at_5.toFixed(3)],
    ['recall@10', (f) => f.recall_at_10.toFixed(3)],
    ['MRR', (f) => f.mrr.toFixed(3)],
    [
      'auto-merge precision',
      (f) => (f.auto_precision === null ? '-' : f.auto_precision.toFixed(3)),
    ],
    ['auto-merge recall', (f) => (f.auto_recall === null ? '-' : f.auto_recall.toFixed(3))],
    ['p50 query ms', (f) => f.p50_ms.toFixed(1)],
    ['p95 query ms', (f) => f.p95_ms.toFixed(1)],
  ];
  const lines = [
    `${'metric'.padEnd(24)}${'repro'.padStart(10)}${'baseline'.padStart(10)}`,
    ...rows.map(
      ([name, get]) =>
        `${name.padEnd(24)}${get(report).padStart(10)}${get(report.baseline).padStart(10)}`,
    ),
    '',
    `Automatic threshold ${report.thresholds.duplicate}: ${report.false_merges} false merge(s) over ${report.n} duplicates and ${report.negatives} negatives.`,
    '',
    'Per original (recall@1, recall@5):',
    ...report.per_original.map(
      (o) =>
        `  ${o.original.padEnd(36)} ${String(o.duplicates).padStart(2)} dup(s)  ${o.recall_at_1.toFixed(2)}  ${o.recall_at_5.toFixed(2)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
