/**
 * `npm run bench:dedupe [-- --sizes 100000,1000000] [--queries 300] [--baseline-queries 50]
 *   [--baseline-timeout-ms 5000] [--keep] [--strict]`
 *
 * Loads synthetic open issues with realistic bug-tracker text (seeded, so runs are comparable)
 * into the open-issue mirror (`tracker_issues`, the project's migrations applied to a private
 * database created for the run and dropped at the end unless `--keep`), first 100,000, then up
 * to 1,000,000. At each size it reports: duplicate-candidate retrieval time (CandidateSearch
 * terms + issues + rankCandidates, the whole of it per query) p50/p95/p99/max over `--queries`
 * queries, half paraphrases of existing issues and half fresh ones; the same figures for the
 * naive query the issue warns about (every word of the report ORed, ts_rank over the GIN-indexed
 * column) on the first `--baseline-queries` of the same queries, interleaved, measured in the
 * same run, and the ratio baseline p95 / Repro p95 (higher is better); the time of the term-stats
 * refresh and of building the GIN indexes; index and table sizes; and the mirror's insert and
 * update throughput through upsertMirroredIssue, one transaction per page of 50 as the sync
 * writes, with the trigger and every index in place.
 *
 * Targets (the issue): retrieval p95 ≤ 10 ms at 100,000 open issues and ≤ 50 ms at 1,000,000.
 * Exit code 0 unless `--strict` and a target fails. DATABASE_URL (its server and credentials)
 * says where to create the private database; default postgres://postgres@127.0.0.1:5432.
 */
import 'reflect-metadata';
import { availableParallelism, loadavg } from 'node:os';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { CandidateSearch, type Queryable } from '../../src/modules/dedupe/candidate-search';
import { rankCandidates } from '../../src/modules/dedupe/dedupe-scorer';
import { refreshTermStats } from '../../src/modules/dedupe/term-stats';
import { upsertMirroredIssue } from '../../src/modules/trackers/mirror/mirror-store';
import type { MirroredIssue } from '../../src/modules/trackers/mirror/mirrored-issue';

const DEFAULT_SIZES = [100_000, 1_000_000];
const TARGETS_MS: [number, number][] = [
  [100_000, 10],
  [1_000_000, 50],
];
const PROJECT_ID = '00000000-0000-4000-8000-00000000beef';
const BATCH = 1000;
const LOAD_CONNECTIONS = 2;
const WARMUP_QUERIES = 30;
const BASELINE_WARMUPS = 3;
/** The baseline gives up after this many timeouts in a row: its figures are then lower bounds. */
const BASELINE_GIVE_UP = 8;
const WRITES = 5000;
const PAGE = 50;
const SEED = 20240611;
const EPOCH = Date.UTC(2024, 0, 1);

// Seeded text

/** mulberry32: small, fast, good enough for text. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from a list with Zipf-like odds: the first items common, the tail rare. */
class Zipf<T> {
  private readonly cdf: Float64Array;
  constructor(
    readonly items: readonly T[],
    exponent = 1.05,
  ) {
    this.cdf = new Float64Array(items.length);
    let sum = 0;
    for (let i = 0; i < items.length; i++) this.cdf[i] = sum += 1 / Math.pow(i + 1, exponent);
    for (let i = 0; i < items.length; i++) this.cdf[i] /= sum;
  }
  pick(rand: () => number): T {
    const x = rand();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return this.items[lo];
  }
}

/** A fixed shuffle, so combinatorial lists do not put every "Invoice…" name first. */
function shuffled<T>(items: T[], seed: number): T[] {
  const rand = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const words = (text: string) => text.trim().split(/\s+/);

const AREAS = words(`
  billing invoices checkout dashboard reports settings onboarding search notifications inbox
  calendar projects tasks comments attachments permissions teams profile login signup export
  import analytics integrations webhooks api subscriptions payments refunds coupons catalog
  inventory orders shipping returns audit sso admin workspace timeline kanban roadmap editor
  templates forms surveys chat mobile sharing archive trash labels filters tags`);
const PREFIXES = words(`
  Invoice Checkout Payment Billing Report Dashboard Settings Profile Account User Team Project
  Task Comment Attachment Upload Download Export Import Search Filter Sort Calendar Event
  Notification Email Message Thread Inbox Order Cart Product Catalog Inventory Shipment Refund
  Coupon Subscription Plan Seat Role Permission Audit Webhook Token Session Avatar Label Tag
  Kanban Board Column Card Timeline Gantt Roadmap Survey Form Field Template Workspace Folder
  Document Editor Preview Chart Widget Sidebar Toolbar Modal Drawer Tooltip Banner Wizard`);
const SUFFIXES = words(`
  Panel Table List Grid Form Modal Dialog View Page Card Header Footer Button Menu Picker
  Selector Editor Viewer Uploader Service Controller Store Reducer Hook Provider Client Worker
  Queue Job Cache Resolver Mapper Validator Serializer Renderer Router Guard`);
/** About 3,000 component names: the rare tokens that tell issues apart. */
const COMPONENTS = new Zipf(
  shuffled(
    PREFIXES.flatMap((p) => SUFFIXES.map((s) => `${p}${s}`)),
    SEED + 1,
  ),
  0.9,
);
const FIELDS = new Zipf(
  shuffled(
    PREFIXES.flatMap((p) =>
      words('id name date amount status count total email address url type note').map(
        (f) => `${p.toLowerCase()}_${f}`,
      ),
    ),
    SEED + 2,
  ),
  0.9,
);
const FEATURES = new Zipf(
  `Export to CSV|Export to PDF|Bulk edit|Drag and drop|Inline editing|Date picker|File upload|
  Password reset|Two-factor login|Dark mode|Keyboard shortcuts|Saved filters|Search results|
  Invoice preview|Checkout form|Payment page|Team invite|Role editor|Audit log|Activity feed|
  Email digest|Push notifications|CSV import|Calendar sync|Webhook delivery|API pagination|
  Rich text editor|Image cropper|Avatar upload|Comment mentions|Kanban board|Gantt chart|
  Dashboard widgets|Report builder|Time zone selector|Currency formatting|Print view|
  Table sorting|Infinite scroll|Autosave|Undo history|Share link|Guest access|SSO login|
  Subscription upgrade|Coupon field|Refund flow|Order history|Shipping estimate|Tax calculation`
    .split('|')
    .map((s) => s.trim()),
);
const SYMPTOMS = new Zipf(
  `drops accented characters|shows a blank page|never finishes loading|freezes the tab|
  throws an error|loses unsaved changes|shows the wrong total|duplicates rows|ignores the filter|
  returns stale data|times out|crashes on submit|renders off screen|shows raw HTML|
  rounds amounts incorrectly|sends the email twice|logs the user out|spins forever|
  shows a 500 error|cuts off long names|breaks the layout|scrolls to the top|
  resets the form|skips the last page|shows yesterday's date|uses the wrong time zone|
  double charges the card|hangs after upload|flickers on hover|is not translated|
  overlaps the sidebar|cannot be closed|reorders items randomly|shows NaN|exports an empty file|
  truncates the file|counts archived items|leaks memory|is very slow|returns 403 for admins`
    .split('|')
    .map((s) => s.trim()),
);
const ACTIONS = new Zipf(
  words(`
  saving editing deleting uploading exporting importing sorting filtering searching opening
  closing sharing renaming moving copying printing refreshing scrolling resizing zooming
  switching selecting dragging pasting submitting approving archiving restoring inviting
  merging splitting linking unlinking publishing scheduling cancelling retrying syncing`),
);
const OBJECTS = new Zipf(
  words(`
  invoice report order comment file project task item row column card page draft template
  attachment image document folder label user team member role plan coupon refund product
  customer account workspace board filter view chart widget event reminder message thread`),
);
const BROWSERS = new Zipf(
  `Chrome 124|Safari 17|Firefox 125|Edge 123|Chrome 123|Safari 16|Firefox 115 ESR|Samsung Internet 24|
  Chrome for Android 124|Mobile Safari 17|Opera 109|Brave 1.65|Arc 1.40|Vivaldi 6.7`
    .split('|')
    .map((s) => s.trim()),
);
const OSES = new Zipf(
  'macOS 14.4|Windows 11|Windows 10|iOS 17.4|Android 14|Ubuntu 22.04|ChromeOS 123|macOS 13.6|iPadOS 17|Fedora 40'.split(
    '|',
  ),
);
const ERRORS = new Zipf(
  words(`
  TypeError RangeError ReferenceError SyntaxError NetworkError AbortError QuotaExceededError
  TimeoutError ValidationError NotFoundError PermissionDenied ConflictError ChunkLoadError
  SecurityError InvalidStateError DOMException UnhandledRejection DeadlockDetected
  IntegrityError SerializationFailure`),
);
/** Common prose, most frequent first: what every issue says, which tells nothing apart. */
const PROSE = new Zipf(
  words(`
  the to and a when it is in of on i this not page after with for button click user we but
  that be can see error from get then again works should does was have are after only
  some data list still seems after every time browser customers reported same also just
  shows happens reload problem tried happen expected instead working correctly issue
  first second open new old value values field fields screen window tab link menu option
  settings saved save loading loaded slow fast empty missing wrong broken fails failed
  failing random sometimes always never intermittently reproducible production staging
  environment customer support ticket account several multiple users affected since
  release deploy update version cache cleared cookies incognito mode mobile desktop
  network request response console log warning message timeout retry spinner modal
  dialog form input text number date time zone format locale language english german
  french spanish japanese unicode emoji character characters encoding utf large small
  file files size limit upload download export import csv pdf xlsx json api endpoint
  status code header token session cookie permission admin owner member guest role
  team workspace project board column row table grid chart graph total sum count
  currency amount price tax discount invoice order payment card subscription plan
  trial upgrade downgrade cancel refund email notification reminder digest webhook
  integration slack jira github calendar sync scheduled job queue worker background
  memory cpu performance latency spike freeze crash hang blank white layout css style
  overflow scroll scrollbar sticky header footer sidebar navigation breadcrumb tooltip
  dropdown checkbox radio toggle slider picker calendar avatar image thumbnail preview
  print zoom resize drag drop paste undo redo autosave draft publish archive restore
  duplicate merge split link share invite mention comment thread reply reaction
  attachment search filter sort pagination infinite next previous last first keyboard
  shortcut focus hover accessibility screen reader contrast translation rtl timezone
  daylight saving midnight weekend leap year rounding decimal separator comma period
  regression hotfix rollback feature flag experiment variant cohort beta legacy
  migration schema database replica lag consistency stale outdated refresh polling
  websocket reconnect offline online service worker manifest install notification
  permission prompt popup blocker extension adblock vpn proxy firewall sso saml oauth
  mfa otp password reset verification captcha bot spam abuse rate limited throttled`),
  1.1,
);

function sentence(rand: () => number, min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min + 1));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.025) out.push(COMPONENTS.pick(rand));
    else if (r < 0.08) out.push(OBJECTS.pick(rand));
    else if (r < 0.095) out.push(FIELDS.pick(rand));
    else out.push(PROSE.pick(rand));
  }
  const text = out.join(' ');
  return text[0].toUpperCase() + text.slice(1) + '.';
}

/** Titles vary as real ones do: a template, then now and then a qualifier that narrows it down. */
function title(rand: () => number, component: string): string {
  let text = titleTemplate(rand, component);
  const r = rand();
  if (r < 0.2) text += ` since ${1 + Math.floor(rand() * 4)}.${Math.floor(rand() * 30)}`;
  else if (r < 0.4) text += ` for ${FIELDS.pick(rand)}`;
  else if (r < 0.55) text += ` (${PROSE.pick(rand)} ${PROSE.pick(rand)} ${OBJECTS.pick(rand)})`;
  else if (r < 0.65) text += ` in ${COMPONENTS.pick(rand)}`;
  else if (r < 0.75) text += ` on ${OSES.pick(rand)}`;
  return text;
}

function titleTemplate(rand: () => number, component: string): string {
  const browser = BROWSERS.pick(rand);
  switch (Math.floor(rand() * 6)) {
    case 0:
      return `${FEATURES.pick(rand)} ${SYMPTOMS.pick(rand)} in ${browser}`;
    case 1:
      return `${component} ${SYMPTOMS.pick(rand)} when ${ACTIONS.pick(rand)} ${OBJECTS.pick(rand)}`;
    case 2:
      return `${ERRORS.pick(rand)} in ${component} after ${ACTIONS.pick(rand)} a ${OBJECTS.pick(rand)}`;
    case 3:
      return `Cannot ${ACTIONS.pick(rand).replace(/ing$/, '')} ${OBJECTS.pick(rand)} from ${AREAS[Math.floor(rand() * AREAS.length)]} page`;
    case 4:
      return `${FEATURES.pick(rand)} ${SYMPTOMS.pick(rand)} for ${OBJECTS.pick(rand)}s with ${FIELDS.pick(rand)}`;
    default:
      return `${AREAS[Math.floor(rand() * AREAS.length)]}: ${OBJECTS.pick(rand)} ${SYMPTOMS.pick(rand)} on ${OSES.pick(rand)}`;
  }
}

function body(rand: () => number, component: string): string {
  const target = 300 + Math.floor(rand() * 1200);
  const parts: string[] = [sentence(rand, 8, 20)];
  const steps = 2 + Math.floor(rand() * 4);
  parts.push(
    'Steps to reproduce:\n' +
      Array.from(
        { length: steps },
        (_, i) =>
          `${i + 1}. ${i === 0 ? `Open the ${AREAS[Math.floor(rand() * AREAS.length)]} page` : `${ACTIONS.pick(rand)} the ${OBJECTS.pick(rand)} in ${COMPONENTS.pick(rand)}`}`,
      ).join('\n'),
  );
  parts.push(`Expected: ${sentence(rand, 5, 14)}`);
  parts.push(`Actual: ${component} ${SYMPTOMS.pick(rand)}. ${sentence(rand, 5, 18)}`);
  if (rand() < 0.35) {
    const code = `E${1000 + Math.floor(rand() * 9000)}`;
    const line = 10 + Math.floor(rand() * 900);
    const file = component.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    parts.push(
      `${ERRORS.pick(rand)}: ${sentence(rand, 4, 9)} (${code})\n    at ${component}.render (${file}.tsx:${line}:${1 + Math.floor(rand() * 80)})`,
    );
  }
  parts.push(
    `Environment: ${BROWSERS.pick(rand)}, ${OSES.pick(rand)}, app ${1 + Math.floor(rand() * 4)}.${Math.floor(rand() * 30)}.${Math.floor(rand() * 10)}`,
  );
  let text = parts.join('\n\n');
  while (text.length < target) text += '\n\n' + sentence(rand, 10, 30);
  return text.slice(0, 1500);
}

interface SyntheticIssue {
  title: string;
  body: string;
}

/** Issue number n, the same in every run: regenerated on demand instead of held in memory. */
function issueText(n: number, variant = 0): SyntheticIssue {
  const rand = prng(Math.imul(n + 1, 2654435761) ^ (SEED + variant * 7919));
  const component = COMPONENTS.pick(rand);
  return { title: title(rand, component), body: body(rand, component) };
}

function mirrored(n: number, text: SyntheticIssue, updatedAt: Date): MirroredIssue {
  return {
    externalId: `I_bench_${n}`,
    key: `acme/web#${n + 1}`,
    url: `https://github.com/acme/web/issues/${n + 1}`,
    title: text.title,
    body: text.body,
    state: 'open',
    open: true,
    labels: [],
    remoteUpdatedAt: updatedAt,
  };
}

/** The same bug told again: some of an issue's words kept, others swapped, the body shortened. */
function paraphrase(rand: () => number, source: SyntheticIssue): SyntheticIssue {
  const swap = (text: string, share: number) =>
    text
      .split(/\s+/)
      .map((w) => (rand() < share ? (rand() < 0.3 ? OBJECTS.pick(rand) : PROSE.pick(rand)) : w))
      .join(' ');
  const lines = source.body.split('\n').filter(() => rand() < 0.6);
  return {
    title: swap(source.title, 0.3),
    body: swap(lines.join('\n'), 0.35).slice(0, 900),
  };
}

// Database

interface Options {
  sizes: number[];
  queries: number;
  baselineQueries: number;
  baselineTimeoutMs: number;
  keep: boolean;
  strict: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    sizes: DEFAULT_SIZES,
    queries: 300,
    baselineQueries: 50,
    baselineTimeoutMs: 5000,
    keep: false,
    strict: false,
  };
  const whole = (flag: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`${flag} wants a whole number ≥ ${min}; got "${text}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--strict':
        options.strict = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--sizes': {
        const text = value();
        options.sizes = text.split(',').map((s) => whole('--sizes', s.replace(/_/g, ''), 1));
        if (options.sizes.some((s, j) => j > 0 && s <= options.sizes[j - 1]))
          throw new Error(`--sizes wants growing sizes like 100000,1000000; got "${text}"`);
        break;
      }
      case '--queries':
        options.queries = whole(flag, value(), 1);
        break;
      case '--baseline-queries':
        options.baselineQueries = whole(flag, value(), 0);
        break;
      case '--baseline-timeout-ms':
        options.baselineTimeoutMs = whole(flag, value(), 1);
        break;
      default:
        throw new Error(`Unknown argument ${argv[i]}`);
    }
  }
  return options;
}

function serverUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const rowsOf = (client: Client): Queryable => ({
  query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T,
});

const INSERT_BATCH = `
  INSERT INTO tracker_issues
    (project_id, provider, external_id, key, url, title, body, state, open, labels, remote_updated_at)
  SELECT $1, 'github', e, k, u, t, b, 'open', true, '{}', r
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
    AS x(e, k, u, t, b, r)`;

const GIN_INDEXES = {
  tracker_issues_search:
    'CREATE INDEX tracker_issues_search ON tracker_issues USING gin (search) WHERE open',
  tracker_issues_title_trgm:
    'CREATE INDEX tracker_issues_title_trgm ON tracker_issues USING gin (lower(title) gin_trgm_ops) WHERE open',
  tracker_issues_title_search:
    'CREATE INDEX tracker_issues_title_search ON tracker_issues USING gin (title_search) WHERE open',
};

/** Issues from..to-1, 1,000 per statement, over LOAD_CONNECTIONS connections. */
async function bulkLoad(clients: Client[], from: number, to: number): Promise<void> {
  let next = from;
  const worker = async (client: Client) => {
    while (next < to) {
      const start = next;
      const end = Math.min(to, start + BATCH);
      next = end;
      const cols: string[][] = [[], [], [], [], []];
      const dates: string[] = [];
      for (let n = start; n < end; n++) {
        const text = issueText(n);
        const issue = mirrored(n, text, new Date(EPOCH + n * 1000));
        cols[0].push(issue.externalId);
        cols[1].push(issue.key);
        cols[2].push(issue.url);
        cols[3].push(issue.title);
        cols[4].push(issue.body);
        dates.push(issue.remoteUpdatedAt.toISOString());
      }
      await client.query(INSERT_BATCH, [PROJECT_ID, ...cols, dates]);
    }
  };
  await Promise.all(clients.map(worker));
}

async function buildIndexes(clients: Client[]): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  await Promise.all(
    Object.entries(GIN_INDEXES).map(async ([name, sql], i) => {
      const started = performance.now();
      await clients[i % clients.length].query(sql);
      times[name] = performance.now() - started;
    }),
  );
  return times;
}

// Measurement

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Timings {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
}

function timings(values: number[]): Timings {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    n: sorted.length,
  };
}

interface Query extends SyntheticIssue {
  kind: 'paraphrase' | 'fresh';
}

/** Half paraphrases of issues in the table, half new issues; the same for a given size. */
function queriesFor(size: number, count: number): Query[] {
  const rand = prng(SEED ^ size);
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? { kind: 'paraphrase', ...paraphrase(rand, issueText(Math.floor(rand() * size))) }
      : { kind: 'fresh', ...issueText(100_000_000 + Math.floor(rand() * 1e9), 1) },
  );
}

const BASELINE_SQL = `
  WITH q AS (
    SELECT NULLIF(replace(plainto_tsquery('english', $2)::text, ' & ', ' | '), '')::tsquery AS q)
  SELECT ti.id FROM tracker_issues ti, q
  WHERE ti.project_id = $1 AND ti.open AND ti.search @@ q.q
  ORDER BY ts_rank(ti.search, q.q) DESC LIMIT 10`;

interface Retrieval {
  total: number[];
  terms: number[];
  issues: number[];
  rank: number[];
  candidates: number[];
  baseline: number[];
  baselineTimeouts: number;
  baselineGaveUp: boolean;
  slowest: { ms: number; query: Query } | null;
}

async function retrieval(
  search: CandidateSearch,
  baselineClient: Client,
  queries: Query[],
  warmups: Query[],
  options: Options,
): Promise<Retrieval> {
  const run = async (q: Query) => {
    const t0 = performance.now();
    const terms = await search.terms(PROJECT_ID, q.title, q.body);
    const t1 = performance.now();
    const candidates = await search.issues(
      PROJECT_ID,
      { title: q.title, body: q.body, signals: [] },
      terms,
    );
    const t2 = performance.now();
    const ranked = rankCandidates(terms, candidates);
    const t3 = performance.now();
    return { terms: t1 - t0, issues: t2 - t1, rank: t3 - t2, total: t3 - t0, n: ranked.length };
  };
  const baseline = async (q: Query): Promise<number | null> => {
    const started = performance.now();
    try {
      await baselineClient.query(BASELINE_SQL, [PROJECT_ID, `${q.title} ${q.body}`]);
      return performance.now() - started;
    } catch (error) {
      if ((error as { code?: string }).code === '57014') return null; // statement_timeout
      throw error;
    }
  };
  await baselineClient.query(`SET statement_timeout = ${options.baselineTimeoutMs}`);
  for (const q of warmups) await run(q);
  for (const q of warmups.slice(0, Math.min(BASELINE_WARMUPS, options.baselineQueries)))
    await baseline(q);

  const out: Retrieval = {
    total: [],
    terms: [],
    issues: [],
    rank: [],
    candidates: [],
    baseline: [],
    baselineTimeouts: 0,
    baselineGaveUp: false,
    slowest: null,
  };
  let timeoutsInARow = 0;
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i];
    const r = await run(q);
    out.total.push(r.total);
    out.terms.push(r.terms);
    out.issues.push(r.issues);
    out.rank.push(r.rank);
    out.candidates.push(r.n);
    if (!out.slowest || r.total > out.slowest.ms) out.slowest = { ms: r.total, query: q };
    // Interleaved with Repro's, so a noisy neighbour hurts both alike.
    if (i < options.baselineQueries && !out.baselineGaveUp) {
      const ms = await baseline(q);
      if (ms === null) {
        out.baselineTimeouts++;
        out.baseline.push(options.baselineTimeoutMs);
        if (++timeoutsInARow >= BASELINE_GIVE_UP) out.baselineGaveUp = true;
      } else {
        timeoutsInARow = 0;
        out.baseline.push(ms);
      }
    }
  }
  await baselineClient.query('RESET statement_timeout');
  return out;
}

/** Rows per second through the mirror's real write path, one transaction per page of 50. */
async function writeThroughput(ds: DataSource, issues: MirroredIssue[]): Promise<number> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const started = performance.now();
    let written = 0;
    for (let i = 0; i < issues.length; i += PAGE) {
      const page = issues.slice(i, i + PAGE);
      await runner.manager.transaction(async (tx) => {
        for (const issue of page)
          if (await upsertMirroredIssue(tx, PROJECT_ID, 'github', issue)) written++;
      });
    }
    const seconds = (performance.now() - started) / 1000;
    if (written !== issues.length)
      throw new Error(`Wrote ${written} of ${issues.length} issues through the mirror`);
    return issues.length / seconds;
  } finally {
    await runner.release();
  }
}

interface SizeRow {
  name: string;
  bytes: number;
}

async function sizes(db: Queryable): Promise<SizeRow[]> {
  const indexes = await db.query<{ name: string; bytes: string }[]>(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = 'tracker_issues'::regclass
     ORDER BY pg_relation_size(c.oid) DESC`,
  );
  const [table] = await db.query<{ heap: string; toast: string; total: string }[]>(
    `SELECT pg_relation_size('tracker_issues') AS heap,
            pg_total_relation_size('tracker_issues') - pg_indexes_size('tracker_issues')
              - pg_relation_size('tracker_issues') AS toast,
            pg_total_relation_size('tracker_issues') AS total`,
  );
  const [stats] = await db.query<{ bytes: string }[]>(
    `SELECT pg_total_relation_size('dedupe_term_stats') AS bytes`,
  );
  return [
    ...indexes.map((r) => ({ name: `index ${r.name}`, bytes: Number(r.bytes) })),
    { name: 'table heap', bytes: Number(table.heap) },
    { name: 'table TOAST', bytes: Number(table.toast) },
    { name: 'tracker_issues total', bytes: Number(table.total) },
    { name: 'dedupe_term_stats total', bytes: Number(stats.bytes) },
  ];
}

// Report

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const count = (n: number) => n.toLocaleString('en');
const seconds = (ms: number) => `${fixed(ms / 1000)} s`;
function pretty(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${fixed(value, unit ? 1 : 0)} ${units[unit]}`;
}
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

function timingRow(label: string, t: Timings, extra = ''): string {
  return (
    `  ${label.padEnd(34)}` +
    [t.p50, t.p95, t.p99, t.max].map((v) => fixed(v).padStart(9)).join('') +
    `${String(t.n).padStart(6)}${extra}`
  );
}

function targetFor(size: number): number | null {
  return TARGETS_MS.find(([s]) => s === size)?.[1] ?? null;
}

// Main

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const database = `repro_bench_dedupe_${process.pid}`;
  let ds: DataSource | null = null;
  const clients: Client[] = [];
  let dropped = false;
  const drop = async () => {
    if (dropped || options.keep) return;
    dropped = true;
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  };
  process.once('SIGINT', () => {
    // A private database of several GB must not outlive an interrupted run.
    console.error(`\nInterrupted; dropping ${database}…`);
    drop().then(
      () => process.exit(130),
      () => process.exit(130),
    );
  });

  const verdicts: { name: string; pass: boolean; text: string }[] = [];
  const runStarted = performance.now();
  try {
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    ds = new DataSource({ ...dataSourceOptions(serverUrl(database)), migrationsRun: false });
    await ds.initialize();
    await ds.runMigrations();
    for (let i = 0; i < LOAD_CONNECTIONS + 1; i++) {
      const client = new Client({ connectionString: serverUrl(database) });
      await client.connect();
      await client.query(`SET maintenance_work_mem = '512MB'`);
      clients.push(client);
    }
    const loaders = clients.slice(0, LOAD_CONNECTIONS);
    const baselineClient = clients[LOAD_CONNECTIONS];
    const db = rowsOf(baselineClient);
    const [{ version }] = await db.query<{ version: string }[]>(`SELECT version()`);
    const settings = await db.query<{ name: string; setting: string; unit: string | null }[]>(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'jit')`,
    );
    console.log(
      `Dedupe benchmark: node ${process.version}, ${availableParallelism()} cores, ` +
        `load average ${fixed(loadavg()[0], 2)}; ${version.split(' on ')[0]} ` +
        `(${settings.map((s) => `${s.name} ${s.setting}${s.unit ?? ''}`).join(', ')}).\n` +
        `Private database ${database}${options.keep ? ' (kept: --keep)' : ''}. ` +
        `Retrieval = CandidateSearch.terms + .issues + rankCandidates, per query, through TypeORM; ` +
        `${WARMUP_QUERIES} warm-up queries, then ${options.queries} (half paraphrases of ` +
        `existing issues, half fresh). Baseline = every word ORed, ts_rank over the GIN-indexed ` +
        `search column, LIMIT 10: the first ${options.baselineQueries} of the same queries, ` +
        `interleaved, statement_timeout ${options.baselineTimeoutMs} ms (a timeout counts as ` +
        `the timeout). Times in ms.\n`,
    );

    const search = new CandidateSearch(ds);
    let loaded = 0;
    for (const size of options.sizes) {
      // Bulk load without the GIN indexes, then build them: far faster than maintaining them.
      for (const name of Object.keys(GIN_INDEXES)) await db.query(`DROP INDEX IF EXISTS ${name}`);
      let started = performance.now();
      const adding = size - loaded;
      await bulkLoad(loaders, loaded, size);
      const loadMs = performance.now() - started;
      loaded = size;
      const indexMs = await buildIndexes(loaders);
      started = performance.now();
      const counted = await refreshTermStats(db, PROJECT_ID);
      const statsMs = performance.now() - started;
      if (counted !== size)
        throw new Error(`Term stats counted ${counted} open issues, not ${size}`);
      started = performance.now();
      await db.query('ANALYZE tracker_issues');
      await db.query('ANALYZE dedupe_term_stats');
      const analyzeMs = performance.now() - started;

      const all = queriesFor(size, WARMUP_QUERIES + options.queries);
      const r = await retrieval(
        search,
        baselineClient,
        all.slice(WARMUP_QUERIES),
        all.slice(0, WARMUP_QUERIES),
        options,
      );
      const sizeRows = await sizes(db);

      // Writes last, with the trigger and every index in place; new issues extend the sequence.
      const now = Date.now();
      const inserts = Array.from({ length: WRITES }, (_, i) =>
        mirrored(loaded + i, issueText(loaded + i), new Date(now)),
      );
      const insertRate = await writeThroughput(ds, inserts);
      loaded += WRITES;
      const rand = prng(SEED ^ (size * 31));
      const targets = new Set<number>();
      while (targets.size < WRITES) targets.add(Math.floor(rand() * size));
      const updates = [...targets].map((n) => {
        const source = issueText(n);
        const changed = paraphrase(rand, source);
        return mirrored(
          n,
          { title: changed.title, body: `${changed.body}\n\n${source.body}`.slice(0, 1500) },
          new Date(now + 1000),
        );
      });
      const updateRate = await writeThroughput(ds, updates);

      const total = timings(r.total);
      const base = timings(r.baseline);
      const lowerBound = r.baselineTimeouts > 0 ? '≥ ' : '';
      const ratio = base.p95 / total.p95;
      const meanCandidates = r.candidates.reduce((a, b) => a + b, 0) / r.candidates.length;
      console.log(
        `${count(size)} open issues (${count(adding)} loaded in ${seconds(loadMs)}, ` +
          `${count(Math.round(adding / (loadMs / 1000)))} rows/s, bulk, no GIN indexes)`,
      );
      console.log(
        `  ${''.padEnd(34)}${['p50', 'p95', 'p99', 'max'].map((h) => h.padStart(9)).join('')}${'n'.padStart(6)}`,
      );
      console.log(
        timingRow(
          'Repro candidate retrieval',
          total,
          `   mean candidates ${fixed(meanCandidates)}`,
        ),
      );
      console.log(timingRow('  of which terms()', timings(r.terms)));
      console.log(timingRow('  of which issues()', timings(r.issues)));
      console.log(timingRow('  of which rankCandidates()', timings(r.rank)));
      console.log(
        timingRow(
          'Baseline: all words ORed, ts_rank',
          base,
          r.baselineTimeouts
            ? `   ${r.baselineTimeouts} timed out${r.baselineGaveUp ? ', gave up' : ''}`
            : '',
        ),
      );
      console.log(
        `  ratio baseline p95 / Repro p95: ${lowerBound}${fixed(ratio)}× (higher is better)`,
      );
      console.log(
        `  slowest Repro query: ${fixed(r.slowest?.ms ?? NaN)} ms, ${r.slowest?.query.kind} ` +
          `"${r.slowest?.query.title}"`,
      );
      console.log(
        `  GIN index build: ${Object.entries(indexMs)
          .map(([name, ms]) => `${name} ${seconds(ms)}`)
          .join(', ')} (in parallel); ` +
          `refreshTermStats ${seconds(statsMs)}; ANALYZE ${seconds(analyzeMs)}`,
      );
      console.log(
        `  mirror writes (upsertMirroredIssue, pages of ${PAGE}, one transaction each): ` +
          `insert ${count(Math.round(insertRate))} rows/s, update ${count(Math.round(updateRate))} rows/s ` +
          `(${count(WRITES)} each)`,
      );
      console.log('  sizes:');
      for (const s of sizeRows)
        console.log(`    ${s.name.padEnd(36)}${pretty(s.bytes).padStart(10)}`);
      const target = targetFor(size);
      if (target !== null) {
        const pass = total.p95 <= target;
        verdicts.push({
          name: `${count(size)}`,
          pass,
          text:
            `retrieval p95 at ${count(size)} open issues: ${fixed(total.p95)} ms, ` +
            `target ≤ ${target} ms   ${verdict(pass)}   (baseline p95 ${lowerBound}${fixed(base.p95)} ms, ` +
            `ratio ${lowerBound}${fixed(ratio)}×)`,
        });
        console.log(`  target p95 ≤ ${target} ms: ${verdict(pass)}`);
      }
      console.log('');
    }
    console.log(`Run took ${seconds(performance.now() - runStarted)}.`);
    for (const v of verdicts) console.log(v.text);
    if (!verdicts.length) console.log('No size with a target (100000, 1000000) was measured.');
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    if (ds?.isInitialized) await ds.destroy();
    await drop();
  }
  return options.strict && verdicts.some((v) => !v.pass) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
