/**
 * `npm run bench:recording [-- --sizes 1,10,100|none] [--chunks 5000] [--strict] [--warmups 5]
 * [--cpu-prof <dir>] [--heavy [dashboard,bursts,long]] [--heavy-seconds 30] [--shots <dir>]`
 *
 * Analyses synthetic rrweb recordings of about 1, 10 and 100 MB (JSON, stored gzipped) end to
 * end (read the .json.gz, gunzip, parse, analyse) and compares that with a bare JSON.parse of
 * the same uncompressed bytes, measured in the same run. Every timed run happens in its own
 * child process, after a warm-up, so its peak RSS is its own; each figure is the median of
 * RUNS runs, interleaved so a noisy neighbour hurts both sides alike. The children run this
 * file and the code it imports compiled to plain JavaScript, as production runs dist/: the
 * @swc-node/register loader alone adds about 90 MB of RSS.
 *
 * Then a session uploaded as 5,000 chunks (`--chunks`, 0 skips it) is stored in a private
 * PostgreSQL database (on DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432) and
 * read back as the replay reads it (RecordingsService.eventBatches), against the same events
 * stored as one chunk, read the same way in the same run; and once the way it was read before
 * (one query per chunk, each inflated through a stream), which took 6.2 s.
 *
 * `--heavy` records heavy sessions in real Chromium first (test/bench/heavy-sessions.ts: a
 * 3,000-row table updating ten times a second, sorted, filtered and scrolled; huge DOM insert and
 * remove bursts; a long single-page session with periodic full snapshots) and measures them the
 * same way; `--sizes none --chunks 0 --heavy` measures only those.
 *
 * Repro's side runs as production runs it: in a worker thread with the V8 limits the analysis
 * thread gets (analysisThreadLimits with the default configuration), so its peak RSS includes
 * that thread's own start-up, as the process's does in production.
 *
 * Targets (the issue): end-to-end throughput ≥ 0.5× JSON.parse's; a 100 MB recording analysed
 * in under 300 MB RSS; the 5,000-chunk session read in at most 3× the time of one chunk.
 * Exit code 0 unless `--strict` and a target fails.
 */
import { fork } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMainThread, parentPort, type ResourceLimits, Worker } from 'node:worker_threads';
import { createGzip } from 'node:zlib';
import type { Options as SwcOptions } from '@swc/core';
import type * as ConfigSchema from '../../src/config/config.schema';
import type * as DataSourceModule from '../../src/database/data-source';
import type * as AnalysisLimitsModule from '../../src/modules/recordings/analysis-limits';
import type * as PrepareDatabase from '../../src/database/prepare-database';
import type * as RecordingReaderModule from '../../src/modules/recordings/recording-reader';
import type * as RecordingsServiceModule from '../../src/modules/recordings/recordings.service';
import type * as ReportsServiceModule from '../../src/modules/reports/reports.service';

const MB = 1_000_000;
const RUNS = 3;
const WARMUP_MB = 1;
const DEFAULT_SIZES = [1, 10, 100];
const TARGET_RATIO = 0.5;
const TARGET_RSS_MB = 300;
const RSS_TARGET_SIZE_MB = 100;
const SETTLE_MS = 200;
const ROOT = resolve(__dirname, '../..');
const DEFAULT_CHUNKS = 5_000;
const EVENTS_PER_CHUNK = 10;
const TARGET_CHUNK_RATIO = 3;

type Kind = 'baseline' | 'repro';

interface ChildRequest {
  kind: Kind;
  /** .json for the baseline, .json.gz for Repro. */
  file: string;
  /** The same kind of file, about 1 MB, handled `warmups` times before the timed run. */
  warmup: string;
  warmups: number;
  /** Repro's analysis thread's V8 limits, as in production. */
  limits: ResourceLimits;
}

interface ChildResult {
  ms: number;
  /** CPU time of the timed part, all threads (zlib inflates on the libuv pool). */
  cpuMs: number;
  /** Uncompressed bytes parsed. */
  bytes: number;
  events: number;
  /** Peak RSS of this process in bytes (VmHWM on Linux). */
  peakRss: number;
  /** RSS after start-up and module loading, before the warm-up. */
  startRss: number;
  malformed: number;
  truncated: boolean;
}

interface Recording {
  sizeMb: number;
  /** How the recording is named in the output; `<sizeMb> MB` when absent. */
  label?: string;
  /** Hold this recording to the RSS target (by default only the 100 MB synthetic one). */
  rssTarget?: boolean;
  json: string;
  gz: string;
  jsonBytes: number;
  gzBytes: number;
}

// Child: warm-up, one timed run, one result sent to the parent.

/**
 * The high-water mark of this process's own memory. process.resourceUsage().maxRSS is not
 * enough on Linux: a forked child starts with the parent's high-water mark (it survives exec).
 */
function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: maxRSS below is the best there is.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * A pause between warm-up and timed run, the same for both sides, so that V8 finishes the
 * collection the warm-up's garbage started on its own schedule instead of inside the timing.
 */
function settle(): Promise<void> {
  return new Promise((done) => setTimeout(done, SETTLE_MS));
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function baselineChild(request: ChildRequest): Promise<ChildResult> {
  const startRss = process.memoryUsage.rss();
  const warmup = await readFile(request.warmup);
  for (let i = 0; i < request.warmups; i++) JSON.parse(warmup.toString());
  const buffer = await readFile(request.file);
  await settle();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const parsed = JSON.parse(buffer.toString()) as unknown[];
  const ms = performance.now() - started;
  return {
    ms,
    cpuMs: cpuMsSince(cpu),
    bytes: buffer.length,
    events: parsed.length,
    peakRss: peakRss(),
    startRss,
    malformed: 0,
    truncated: false,
  };
}

async function reproChild(request: ChildRequest): Promise<ChildResult> {
  // Loaded here, not at the top, so that neither the parent nor the baseline carries them.
  const { RecordingReader } = await import('../../src/modules/recordings/recording-reader');
  const { RecordingAnalyzer } = await import('../../src/modules/recordings/analyzer/analyzer');
  const startRss = process.memoryUsage.rss();
  // As in production: the analysis thread gets the stored gzip bytes from PostgreSQL, in memory,
  // just as the baseline gets its JSON in memory. Inflating, parsing and analysing are timed.
  const analyse = async (gz: Buffer) => {
    const reader = new RecordingReader();
    const analyzer = new RecordingAnalyzer();
    for await (const batch of reader.batchesOfBuffer(gz)) {
      for (const event of batch) analyzer.push(event);
    }
    return { reader, analysis: analyzer.finish() };
  };
  const warmup = await readFile(request.warmup);
  for (let i = 0; i < request.warmups; i++) await analyse(warmup);
  const gz = await readFile(request.file);
  await settle();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { reader, analysis } = await analyse(gz);
  const ms = performance.now() - started;
  return {
    ms,
    cpuMs: cpuMsSince(cpu),
    bytes: reader.bytes,
    events: analysis.stats.events,
    peakRss: peakRss(),
    startRss,
    malformed: reader.problems.malformed,
    truncated: reader.problems.truncated,
  };
}

/** Repro's run in a worker thread with the production limits, as RecordingAnalysisService runs it. */
function inAnalysisThread(request: ChildRequest): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const thread = new Worker(__filename, {
      argv: ['--child', JSON.stringify(request)],
      resourceLimits: request.limits,
    });
    thread.once('message', (result: ChildResult) => resolvePromise(result));
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`analysis thread exited ${code}`)));
  });
}

// Parent

interface Options {
  sizes: number[];
  chunks: number;
  strict: boolean;
  warmups: number;
  cpuProfDir: string | null;
  heavy: string[];
  heavySeconds: number;
  shots: string | null;
  limits: ResourceLimits;
}

function parseArgs(argv: string[]): Options {
  // Production analyses in one long-lived thread (piscina), so it runs warm: five 1 MB recordings
  // before the timed one stand for the reports that came before. --warmups 0 measures it cold.
  const options: Options = {
    sizes: DEFAULT_SIZES,
    chunks: DEFAULT_CHUNKS,
    strict: false,
    warmups: 5,
    cpuProfDir: null,
    heavy: [],
    heavySeconds: 30,
    shots: null,
    limits: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--strict':
        options.strict = true;
        break;
      case '--sizes': {
        const text = value();
        options.sizes = text === 'none' ? [] : text.split(',').map(Number);
        if (options.sizes.some((s) => !Number.isFinite(s) || s <= 0))
          throw new Error(`--sizes wants MB values like 1,10,100; got "${text}"`);
        break;
      }
      case '--chunks': {
        const text = value();
        options.chunks = Number(text);
        if (!Number.isInteger(options.chunks) || options.chunks < 0)
          throw new Error(
            `--chunks wants a whole number (0 skips the chunked session); got "${text}"`,
          );
        break;
      }
      case '--warmups': {
        const text = value();
        options.warmups = Number(text);
        if (!Number.isInteger(options.warmups) || options.warmups < 0)
          throw new Error(`--warmups wants a whole number; got "${text}"`);
        break;
      }
      case '--cpu-prof': {
        const dir = value();
        if (!dir) throw new Error('--cpu-prof wants a directory');
        options.cpuProfDir = resolve(dir);
        break;
      }
      case '--heavy': {
        // The list is optional: `--heavy` alone records every heavy session.
        const next = inline ?? (argv[i + 1]?.startsWith('--') ? undefined : argv[++i]);
        options.heavy = next ? next.split(',') : ['dashboard', 'bursts', 'long'];
        break;
      }
      case '--heavy-seconds': {
        const text = value();
        options.heavySeconds = Number(text);
        if (!Number.isFinite(options.heavySeconds) || options.heavySeconds <= 0)
          throw new Error(`--heavy-seconds wants a number of seconds; got "${text}"`);
        break;
      }
      case '--shots': {
        const dir = value();
        if (!dir) throw new Error('--shots wants a directory');
        options.shots = resolve(dir);
        break;
      }
      default:
        throw new Error(`Unknown argument ${argv[i]}`);
    }
  }
  return options;
}

const RELATIVE_IMPORT = /(?:\bfrom|\bimport\s*\()\s*'(\.{1,2}\/[^']+)'/g;

/**
 * Compiles this file and, following relative imports, everything it loads into `outDir` with
 * the same layout, so relative imports still resolve; packages resolve through NODE_PATH.
 * Returns the compiled path of this file.
 */
async function compileForChildren(outDir: string): Promise<string> {
  const { transformFile } = await import('@swc/core');
  const swcrc = JSON.parse(await readFile(join(ROOT, '.swcrc'), 'utf8')) as SwcOptions & {
    $schema?: string;
  };
  delete swcrc.$schema; // swc refuses it as an option
  const outPath = (file: string) => join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
  const seen = new Set<string>();
  const queue = [__filename];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(RELATIVE_IMPORT)) {
      const base = resolve(dirname(file), match[1]);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
      if (target) queue.push(target);
    }
    const { code } = await transformFile(file, {
      ...swcrc,
      swcrc: false,
      sourceMaps: false,
    });
    await mkdir(dirname(outPath(file)), { recursive: true });
    await writeFile(outPath(file), code);
  }
  return outPath(__filename);
}

/** Streams the synthetic recording to .json, then gzips that file; no 100 MB string in memory. */
async function generate(dir: string, sizeMb: number): Promise<Recording> {
  const { syntheticRecording } = await import('../factories/synthetic-recording');
  const json = join(dir, `recording-${sizeMb}mb.json`);
  const gz = `${json}.gz`;
  await pipeline(Readable.from(syntheticRecording(sizeMb * MB)), createWriteStream(json));
  await pipeline(createReadStream(json), createGzip(), createWriteStream(gz));
  return { sizeMb, json, gz, jsonBytes: (await stat(json)).size, gzBytes: (await stat(gz)).size };
}

function runChild(
  script: string,
  request: ChildRequest,
  cpuProfDir: string | null,
): Promise<ChildResult> {
  const execArgv =
    cpuProfDir && request.kind === 'repro' ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  return new Promise((resolvePromise, reject) => {
    const proc = fork(script, ['--child', JSON.stringify(request)], {
      execArgv,
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ChildResult | null = null;
    proc.on('message', (message) => (result = message as ChildResult));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (result && code === 0) resolvePromise(result);
      else reject(new Error(`${request.kind} child for ${request.file} exited ${signal ?? code}`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const mb = (bytes: number) => bytes / MB;
const fixed = (n: number, digits = 0) => n.toFixed(digits);
const COLUMNS: [string, number][] = [
  ['', 24],
  ['ms', 8],
  ['MB/s', 8],
  ['CPU ms', 8],
  ['peak RSS', 10],
  ['start RSS', 11],
];

function line(cells: string[]): string {
  const [label, ...rest] = cells;
  return `  ${label.padEnd(COLUMNS[0][1])}${rest.map((c, i) => c.padStart(COLUMNS[i + 1][1])).join('')}`;
}

interface Summary {
  ms: number;
  mbps: number;
  cpuMs: number;
  /** The highest of the runs. */
  peakRss: number;
  runs: ChildResult[];
}

function summarise(runs: ChildResult[], bytes: number): Summary {
  const ms = median(runs.map((r) => r.ms));
  return {
    ms,
    mbps: mb(bytes) / (ms / 1000),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    peakRss: Math.max(...runs.map((r) => r.peakRss)),
    runs,
  };
}

function row(label: string, s: Summary): string {
  return (
    line([
      label,
      fixed(s.ms),
      fixed(s.mbps, 1),
      fixed(s.cpuMs),
      `${fixed(mb(s.peakRss))} MB`,
      `${fixed(mb(median(s.runs.map((r) => r.startRss))))} MB`,
    ]) + `   runs: ${s.runs.map((r) => fixed(r.ms)).join(' / ')} ms`
  );
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

/** Checks that Repro read exactly what the baseline parsed; otherwise its numbers mean nothing. */
function assertSameInput(recording: Recording, events: number, runs: ChildResult[]): void {
  for (const r of runs) {
    if (r.events !== events || r.bytes !== recording.jsonBytes || r.malformed || r.truncated)
      throw new Error(
        `Repro read ${r.events} events / ${r.bytes} bytes (malformed ${r.malformed}, ` +
          `truncated ${r.truncated}); expected ${events} events / ${recording.jsonBytes} bytes`,
      );
  }
}

async function measure(
  script: string,
  recording: Recording,
  warmup: Recording,
  options: Options,
): Promise<{ name: string; pass: boolean }[]> {
  const baselineRuns: ChildResult[] = [];
  const reproRuns: ChildResult[] = [];
  const request = (kind: Kind, file: string, warmupFile: string): ChildRequest => ({
    kind,
    file,
    warmup: warmupFile,
    warmups: options.warmups,
    limits: options.limits,
  });
  for (let run = 0; run < RUNS; run++) {
    baselineRuns.push(
      await runChild(script, request('baseline', recording.json, warmup.json), null),
    );
    reproRuns.push(
      await runChild(script, request('repro', recording.gz, warmup.gz), options.cpuProfDir),
    );
  }
  const events = baselineRuns[0].events;
  assertSameInput(recording, events, reproRuns);
  const baseline = summarise(baselineRuns, recording.jsonBytes);
  const repro = summarise(reproRuns, recording.jsonBytes);
  const ratio = baseline.ms / repro.ms;
  const name = recording.label ?? `${recording.sizeMb} MB`;
  const verdicts = [{ name: `${name} throughput ratio`, pass: ratio >= TARGET_RATIO }];

  console.log(
    `${name} recording: ${fixed(mb(recording.jsonBytes), 1)} MB JSON, ` +
      `${fixed(mb(recording.gzBytes), 1)} MB gzipped, ${events.toLocaleString('en')} events`,
  );
  console.log(line(COLUMNS.map(([title]) => title)));
  console.log(row('JSON.parse (baseline)', baseline));
  console.log(row('Repro end to end', repro));
  console.log(
    `  throughput ratio (baseline ms / Repro ms): ${fixed(ratio, 2)}×` +
      `   target ≥ ${TARGET_RATIO}×   ${verdict(verdicts[0].pass)}` +
      `   (by CPU time: ${fixed(baseline.cpuMs / repro.cpuMs, 2)}×)`,
  );
  if (recording.rssTarget ?? recording.sizeMb === RSS_TARGET_SIZE_MB) {
    const pass = repro.peakRss < TARGET_RSS_MB * MB;
    verdicts.push({ name: `${name} peak RSS`, pass });
    console.log(
      `  Repro peak RSS: ${fixed(mb(repro.peakRss))} MB   target < ${TARGET_RSS_MB} MB   ${verdict(pass)}`,
    );
  }
  console.log('');
  return verdicts;
}

// The chunked session: stored in PostgreSQL, read back as the replay does. Loaded from src/ by
// path (so compileForChildren, which follows quoted relative imports, leaves them out).

interface ChunkReader {
  eventBatches(projectId: string, sessionId: string): AsyncGenerator<unknown[]>;
}

function databaseUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const load = <T>(path: string) => import(join(ROOT, 'src', path)) as Promise<T>;

/** Mouse moves, EVENTS_PER_CHUNK to a chunk, with rising timestamps: what a rolling buffer sends. */
function chunkEvents(seq: number): unknown[] {
  return Array.from({ length: EVENTS_PER_CHUNK }, (_, i) => ({
    type: 3,
    data: { source: 1, positions: [{ x: seq % 1440, y: i * 40, id: 12, timeOffset: -i * 50 }] },
    timestamp: 1_700_000_000_000 + seq * EVENTS_PER_CHUNK * 50 + i * 50,
  }));
}

async function timeRead(read: () => AsyncGenerator<unknown[]>): Promise<[number, number]> {
  const started = performance.now();
  let events = 0;
  for await (const batch of read()) events += batch.length;
  return [performance.now() - started, events];
}

async function measureChunkedSession(chunks: number): Promise<{ name: string; pass: boolean }[]> {
  const { gzipSync } = await import('node:zlib');
  const { DataSource } = await import('typeorm');
  const { dataSourceOptions } = await load<typeof DataSourceModule>('database/data-source');
  const { runMigrations } = await load<typeof PrepareDatabase>('database/prepare-database');
  const { loadConfig } = await load<typeof ConfigSchema>('config/config.schema');
  const { ReportsService } = await load<typeof ReportsServiceModule>(
    'modules/reports/reports.service',
  );
  const { RecordingsService } = await load<typeof RecordingsServiceModule>(
    'modules/recordings/recordings.service',
  );
  const { RecordingReader } = await load<typeof RecordingReaderModule>(
    'modules/recordings/recording-reader',
  );

  const database = `repro_bench_recording_${process.pid}`;
  const url = databaseUrl(database);
  await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${database}`);
  const ds = new DataSource({ ...dataSourceOptions(url), extra: { max: 2 } });
  try {
    await runMigrations(url);
    await ds.initialize();
    const projectId = '00000000-0000-4000-8000-00000000be0c';
    const insert = async (sessionId: string, parts: unknown[][]) => {
      for (let from = 0; from < parts.length; from += 500) {
        const page = parts.slice(from, from + 500).map((events, i) => {
          const json = Buffer.from(JSON.stringify(events));
          const gz = gzipSync(json);
          return [from + i, gz, gz.length, json.length, events.length];
        });
        await ds.query(
          `INSERT INTO recording_chunks
             (project_id, session_id, seq, data_gz, compressed_size, byte_size, event_count, content_hash)
           SELECT $1, $2, seq, data_gz, compressed_size, byte_size, event_count, ''
           FROM unnest($3::int[], $4::bytea[], $5::int[], $6::int[], $7::int[])
             AS t(seq, data_gz, compressed_size, byte_size, event_count)`,
          [projectId, sessionId, ...[0, 1, 2, 3, 4].map((k) => page.map((row) => row[k]))],
        );
      }
    };
    const parts = Array.from({ length: chunks }, (_, seq) => chunkEvents(seq));
    await insert('sess_bench_chunked', parts);
    await insert('sess_bench_whole', [parts.flat()]);
    const [{ bytes, gz }] = await ds.query<{ bytes: string; gz: string }[]>(
      `SELECT sum(byte_size)::bigint AS bytes, sum(compressed_size)::bigint AS gz
       FROM recording_chunks WHERE session_id = 'sess_bench_chunked'`,
    );

    const service = new RecordingsService(
      ds,
      loadConfig({ DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379' }),
      new ReportsService(ds),
    ) as ChunkReader;
    const chunked = () => service.eventBatches(projectId, 'sess_bench_chunked');
    const whole = () => service.eventBatches(projectId, 'sess_bench_whole');
    // The code before: one query per chunk, each chunk inflated through a stream.
    const before = async function* (): AsyncGenerator<unknown[]> {
      const rows = await ds.query<{ id: string }[]>(
        `SELECT id FROM recording_chunks WHERE project_id = $1 AND session_id = $2 ORDER BY seq`,
        [projectId, 'sess_bench_chunked'],
      );
      const reader = new RecordingReader();
      for (const { id } of rows) {
        const [row] = await ds.query<{ data_gz: Buffer }[]>(
          `SELECT data_gz FROM recording_chunks WHERE id = $1`,
          [id],
        );
        yield* reader.batches(Readable.from([row.data_gz]));
      }
    };

    await timeRead(chunked);
    await timeRead(whole);
    const chunkedMs: number[] = [];
    const wholeMs: number[] = [];
    let events = 0;
    for (let run = 0; run < RUNS; run++) {
      const [a, n] = await timeRead(chunked);
      const [b] = await timeRead(whole);
      chunkedMs.push(a);
      wholeMs.push(b);
      events = n;
    }
    const [beforeMs] = await timeRead(before);
    const ms = median(chunkedMs);
    const baseline = median(wholeMs);
    const ratio = ms / baseline;
    const pass = ratio <= TARGET_CHUNK_RATIO;
    console.log(
      `A session of ${chunks.toLocaleString('en')} chunks (${events.toLocaleString('en')} events, ` +
        `${fixed(mb(Number(bytes)), 1)} MB inflated, ${fixed(mb(Number(gz)), 1)} MB stored), read from ` +
        `PostgreSQL as the replay reads it (median of ${RUNS}, in this process):`,
    );
    console.log(`  ${chunks.toLocaleString('en')} chunks:       ${fixed(ms).padStart(6)} ms`);
    console.log(`  the same in one chunk: ${fixed(baseline).padStart(6)} ms (baseline)`);
    console.log(
      `  ratio ${fixed(ratio, 2)}× the baseline   target ≤ ${TARGET_CHUNK_RATIO}×   ${verdict(pass)}`,
    );
    console.log(
      `  read as before (one query per chunk, streamed inflate), once: ${fixed(beforeMs)} ms, ` +
        `${fixed(beforeMs / ms, 1)}× the time now`,
    );
    console.log('');
    return [{ name: `${chunks}-chunk session read`, pass }];
  } finally {
    await ds.destroy().catch(() => undefined);
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const { loadConfig } = await load<typeof ConfigSchema>('config/config.schema');
  const { analysisThreadLimits } = await load<typeof AnalysisLimitsModule>(
    'modules/recordings/analysis-limits',
  );
  options.limits = analysisThreadLimits(
    loadConfig({ DATABASE_URL: databaseUrl('postgres'), REDIS_URL: 'redis://127.0.0.1:6379' }),
  );
  const dir = await mkdtemp(join(tmpdir(), 'repro-bench-'));
  // Ctrl-C must not leave 100+ MB of recordings behind in a shared /tmp.
  process.once('SIGINT', () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  const verdicts: { name: string; pass: boolean }[] = [];
  try {
    const started = performance.now();
    const script = await compileForChildren(join(dir, 'compiled'));
    const warmup = await generate(dir, WARMUP_MB);
    const recordings: Recording[] = [];
    for (const sizeMb of options.sizes)
      recordings.push(sizeMb === WARMUP_MB ? warmup : await generate(dir, sizeMb));
    console.log(
      `Recording benchmark: node ${process.version}, ${availableParallelism()} cores, ` +
        `load average ${fixed(loadavg()[0], 2)}. Recordings generated in ` +
        `${fixed((performance.now() - started) / 1000, 1)} s.\n` +
        `Each figure: median of ${RUNS} runs, each in its own child process after ` +
        `${options.warmups} warm-up(s) on a ${WARMUP_MB} MB recording; peak RSS is the highest ` +
        `of the runs. CPU ms: user + system time of all the child's threads during the timed ` +
        `part. MB = 10^6 bytes. Repro analyses in a worker thread with the production limits ` +
        `(${Object.entries(options.limits)
          .map(([name, value]) => `${name} ${String(value)}`)
          .join(', ')}).`,
    );
    if (existsSync('/proc/self/status'))
      console.log(
        "Peak RSS is each child's own VmHWM: process.resourceUsage().maxRSS would include " +
          "the parent's RSS, which a child inherits across fork and exec on Linux.",
      );
    console.log('');
    for (const recording of recordings)
      verdicts.push(...(await measure(script, recording, warmup, options)));
    if (options.heavy.length) {
      const { recordHeavySessions } = await import('./heavy-sessions');
      const recordedAt = performance.now();
      if (options.shots) await mkdir(options.shots, { recursive: true });
      const heavy = await recordHeavySessions(
        dir,
        options.heavy,
        options.heavySeconds,
        options.shots ?? undefined,
      );
      console.log(
        `Heavy sessions recorded in Chromium in ${fixed((performance.now() - recordedAt) / 1000, 1)} s ` +
          `(${heavy.map((h) => `${h.name}: ${fixed(h.recordedMs / 1000, 1)} s of use`).join(', ')}); ` +
          `each is held to the RSS target, whatever its size.\n`,
      );
      for (const h of heavy) {
        const recording: Recording = {
          sizeMb: Math.round(mb(h.jsonBytes)),
          label: `heavy "${h.name}"`,
          rssTarget: true,
          json: h.json,
          gz: h.gz,
          jsonBytes: h.jsonBytes,
          gzBytes: h.gzBytes,
        };
        verdicts.push(...(await measure(script, recording, warmup, options)));
      }
    }
    if (options.chunks) verdicts.push(...(await measureChunkedSession(options.chunks)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const failed = verdicts.filter((v) => !v.pass);
  console.log(`Targets: ${verdicts.map((v) => `${v.name} ${verdict(v.pass)}`).join(', ')}`);
  console.log(
    `${failed.length ? 'FAIL' : 'PASS'} (load average now ${fixed(loadavg()[0], 2)})` +
      (failed.length && !options.strict ? '; exit code 0 without --strict' : ''),
  );
  if (options.cpuProfDir) console.log(`CPU profiles of the Repro runs: ${options.cpuProfDir}`);
  return failed.length && options.strict ? 1 : 0;
}

if (process.argv[2] === '--child' && !isMainThread) {
  const request = JSON.parse(process.argv[3]) as ChildRequest;
  reproChild(request).then(
    (result) => parentPort!.postMessage(result),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else if (process.argv[2] === '--child') {
  const request = JSON.parse(process.argv[3]) as ChildRequest;
  (request.kind === 'baseline' ? baselineChild(request) : inAnalysisThread(request)).then(
    (result) => process.send!(result, () => process.connected && process.disconnect()),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
