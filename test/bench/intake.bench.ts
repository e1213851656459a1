/**
 * `npm run bench:intake [-- --duration 10] [--concurrency 4,16,64] [--minutes 10] [--cpu-prof <dir>]`
 *
 * Intake's throughput and latency beside the framework's ceiling, measured in the same run. The
 * script starts everything itself: compiles src/ to plain JavaScript (as production runs dist/)
 * in node_modules/.cache, creates a fresh migrated database and a fresh queue prefix, starts the
 * API and the worker as child processes, then sends with autocannon, at each concurrency:
 *
 * - `GET /healthz`, the baseline (Express, Nest, the middleware, no storage);
 * - `POST /v1/reports`, a small JSON report, every one a new report;
 * - `POST /v1/reports` with a 50 KB rrweb recording inline.
 *
 * It prints reports/s, p50/p99 latency, the ratio to /healthz, the CPU time per request of the
 * API and of PostgreSQL (steadier than the rates on a busy machine), the API's RSS before and
 * after, and the rows committed in `reports` against the 2xx answers (they must be equal).
 * `--minutes N` adds a memory run: small reports for N minutes at concurrency 16, the API's RSS
 * printed every 30 s, then again after 30 s idle.
 *
 * Targets (issue 13): ≥ 500 small reports/s at p99 < 100 ms, ≥ 100 reports/s with a 50 KB
 * recording, memory flat over 10 minutes. Exit code 0 unless `--strict` and a target fails.
 */
import autocannon from 'autocannon';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { adminQuery, databaseUrl, TEST_REDIS_URL } from '../support/databases';
import { syntheticRecording } from '../factories/synthetic-recording';

const ROOT = resolve(__dirname, '../..');
// Per run, so two runs (or two checkouts sharing node_modules) never compile over each other.
const BUILD = join(ROOT, 'node_modules', '.cache', `repro-bench-intake-${process.pid}`);
const REDIS_URL = TEST_REDIS_URL;
const RECORDING_BYTES = 50_000;
const TARGET_SMALL_RPS = 500;
const TARGET_SMALL_P99_MS = 100;
const TARGET_RECORDING_RPS = 100;
const MEMORY_CONCURRENCY = 16;
const IDLE_SAMPLE_MS = 3_000;
const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const ACCOUNT_SMALL = 2_000;
const ACCOUNT_RECORDING = 300;
const MEMORY_SAMPLE_MS = 30_000;

interface Options {
  durationS: number;
  concurrency: number[];
  minutes: number;
  strict: boolean;
  cpuProfDir: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    durationS: 10,
    concurrency: [4, 16, 64],
    minutes: 0,
    strict: false,
    cpuProfDir: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? '';
    const positive = (text: string, what: string) => {
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} wants a positive number`);
      return n;
    };
    switch (flag) {
      case '--duration':
        options.durationS = positive(value(), '--duration');
        break;
      case '--concurrency':
        options.concurrency = value()
          .split(',')
          .map((c) => Math.round(positive(c, '--concurrency')));
        break;
      case '--minutes':
        options.minutes = positive(value(), '--minutes');
        break;
      case '--memory':
        options.minutes = 10;
        break;
      case '--strict':
        options.strict = true;
        break;
      case '--cpu-prof':
        options.cpuProfDir = resolve(value() || '.');
        break;
      default:
        throw new Error(`Unknown argument ${argv[i]}`);
    }
  }
  return options;
}

// The world: a compiled build, a database, a queue prefix, the API and the worker.

function build(): void {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'swc'),
    ['src', 'migrations', '-d', BUILD, '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '-q'],
    { cwd: ROOT, stdio: 'inherit' },
  );
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU time the process used so far, user and system, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** The API's pid, whose CPU time each measurement reports per request. */
let apiPid = 0;
/** CPU ms per second the API spends with no request (timers, queue connections), subtracted. */
let apiIdleCpuRate = 0;
/** The PostgreSQL backends serving the bench's database (the API's and the worker's). */
let backendPids: () => Promise<number[]> = () => Promise.resolve([]);

async function backendsCpuMs(): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  for (const pid of await backendPids()) {
    try {
      cpu.set(pid, cpuMs(pid));
    } catch {
      // Gone since it was listed.
    }
  }
  return cpu;
}

interface Child {
  proc: ChildProcess;
  log: string;
  exited: Promise<void>;
}

function startProcess(
  entry: string,
  env: Record<string, string>,
  log: string,
  execArgv: string[],
): Child {
  const fd = openSync(log, 'a');
  const proc = spawn(process.execPath, [...execArgv, join(BUILD, 'src', entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  return { proc, log, exited };
}

async function stopProcess(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 30_000);
  await child.exited;
  clearTimeout(timer);
}

async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// What is sent.

const SMALL_BODY = (n: number) =>
  JSON.stringify({
    description: `Bench report ${n}: the export button spins and nothing downloads`,
    reporter: { email: `user${n % 500}@acme.example`, name: 'Ana Lima', id: `user_${n % 500}` },
    account: { id: `acct_${n % 50}`, name: 'Acme Inc.' },
    page: { url: 'https://app.acme.example/reports/export', title: 'Export · Acme' },
    client: {
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      viewport: { width: 1440, height: 900 },
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    },
  });

/** About 50 KB of rrweb events ending now (a recording a widget would send with a report). */
function recordingJson(): string {
  const events = JSON.parse([...syntheticRecording(RECORDING_BYTES, 20)].join('')) as {
    timestamp: number;
  }[];
  const shift = Date.now() - 1_000 - events[events.length - 1].timestamp;
  for (const event of events) event.timestamp += shift;
  return JSON.stringify(events);
}

type Kind = 'healthz' | 'small' | 'recording';

function requestFor(kind: Kind, key: string, counter: { n: number }): autocannon.Request {
  if (kind === 'healthz') return { method: 'GET', path: '/healthz' };
  const events = kind === 'recording' ? recordingJson() : null;
  return {
    method: 'POST',
    path: '/v1/reports',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    // Every request a new report: a counter in the description (and in the reporter's id).
    setupRequest: (request) => {
      const n = ++counter.n;
      const small = SMALL_BODY(n);
      const body = events ? `${small.slice(0, -1)},"events":${events}}` : small;
      return { ...request, body };
    },
  };
}

interface Measure {
  kind: Kind;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Requests in flight when a timed run ended: autocannon drops them unanswered. */
  cutOff: number;
  /**
   * The API's CPU time per 2xx answer, less its idle CPU: less sensitive to a busy machine than
   * the rates.
   */
  apiCpuMs: number;
  /** PostgreSQL's CPU time per 2xx answer (the backends of this database, worker's included). */
  pgCpuMs: number;
}

/** A timed run (`durationS`), or exactly `amount` requests, every one answered. */
async function measure(
  url: string,
  kind: Kind,
  concurrency: number,
  durationS: number,
  key: string,
  counter: { n: number },
  amount?: number,
): Promise<Measure> {
  const request = requestFor(kind, key, counter);
  const sentBefore = counter.n;
  const cpuBefore = cpuMs(apiPid);
  const pgBefore = await backendsCpuMs();
  const result = await autocannon({
    url,
    connections: concurrency,
    ...(amount ? { amount } : { duration: durationS }),
    requests: [request],
  });
  const apiCpu = cpuMs(apiPid) - cpuBefore;
  let pgCpu = 0;
  for (const [pid, ms] of await backendsCpuMs()) pgCpu += ms - (pgBefore.get(pid) ?? 0);
  const answered = result['2xx'] + result.non2xx + result.errors + result.timeouts;
  return {
    kind,
    concurrency,
    rps: result['2xx'] / (result.duration || durationS),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cutOff: kind === 'healthz' ? 0 : Math.max(0, counter.n - sentBefore - answered),
    apiCpuMs:
      Math.max(0, apiCpu - apiIdleCpuRate * (result.duration || durationS)) /
      Math.max(1, result['2xx']),
    pgCpuMs: pgCpu / Math.max(1, result['2xx']),
  };
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const scratch = await mkdtemp(join(tmpdir(), 'repro-bench-intake-'));
  const dbName = `repro_bench_${randomBytes(5).toString('hex')}`;
  const prefix = `b${randomBytes(5).toString('hex')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: String(port),
    PUBLIC_URL: url,
    DATABASE_URL: databaseUrl(dbName),
    REDIS_URL: REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    // One key and one address send everything: limits and quotas out of the way.
    RATE_LIMIT_PER_KEY_PER_MINUTE: '1000000000',
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000000',
    RECORDING_QUOTA_SESSIONS_PER_HOUR: '1000000000',
    RECORDING_QUOTA_CHUNKS_PER_HOUR: '1000000000',
    RECORDING_QUOTA_INFLATED_BYTES_PER_HOUR: String(2 ** 50),
  };

  process.stdout.write(`Compiling src/ to ${BUILD} …\n`);
  build();
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const db = new Client({ connectionString: databaseUrl(dbName) });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  let api: Child | null = null;
  let worker: Child | null = null;
  try {
    const apiArgv = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
    api = startProcess('main.api.js', env, join(scratch, 'api.log'), apiArgv);
    // The API migrates the new database and prints the default project's first key once.
    const key = await waitUntil('the API to print its first key', async () => {
      if (api!.proc.exitCode !== null) throw new Error('exited');
      const match = /^\s+(repro_\S+)\s*$/m.exec(await readFile(api!.log, 'utf8'));
      return match?.[1];
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n--- API log ---\n${await readFile(api!.log, 'utf8')}`);
    });
    await waitUntil('/healthz', async () =>
      (await fetch(`${url}/healthz`)).ok ? true : undefined,
    );
    worker = startProcess(
      'main.worker.js',
      { ...env, MIGRATIONS_RUN: 'false' },
      join(scratch, 'worker.log'),
      [],
    );
    await db.connect();
    backendPids = async () =>
      (
        await db.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [dbName],
        )
      ).rows.map((r) => r.pid);
    const counter = { n: 0 };
    apiPid = api.proc.pid!;

    process.stdout.write(
      `API pid ${apiPid}, worker pid ${worker.proc.pid}; ${options.durationS} s per measurement; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    // Warm-up: JIT, connection pools, the first rows of the accounts.
    await measure(url, 'small', 4, 3, key, counter);
    await measure(url, 'recording', 4, 2, key, counter);
    const idleFrom = cpuMs(apiPid);
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    apiIdleCpuRate = (cpuMs(apiPid) - idleFrom) / (IDLE_SAMPLE_MS / 1000);
    process.stdout.write(
      `API idle CPU: ${apiIdleCpuRate.toFixed(0)} ms/s (left out of CPU ms/req)\n`,
    );
    const rows = async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM reports')).rows[0].n);
    const rowsBefore = await rows();
    const rssStart = rssMb(apiPid);

    const results: Measure[] = [];
    for (const concurrency of options.concurrency) {
      for (const kind of ['healthz', 'small', 'recording'] as const) {
        results.push(await measure(url, kind, concurrency, options.durationS, key, counter));
      }
    }
    const rssEnd = rssMb(apiPid);

    process.stdout.write(
      `\n${pad('request', 22)} ${pad('conc.', 5)} ${pad('2xx/s', 8)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('vs /healthz', 11)} ${pad('API CPU ms/req', 14)} ${pad('PG CPU ms/req', 13)} ${pad('non-2xx', 7)} ${pad('errors', 6)}\n`,
    );
    const label: Record<Kind, string> = {
      healthz: 'GET /healthz',
      small: 'POST small report',
      recording: 'POST + 50 KB recording',
    };
    for (const m of results) {
      const base = results.find((r) => r.kind === 'healthz' && r.concurrency === m.concurrency)!;
      process.stdout.write(
        `${pad(label[m.kind], 22)} ${pad(m.concurrency, 5)} ${pad(m.rps.toFixed(0), 8)} ${pad(m.p50, 7)} ${pad(m.p99, 7)} ${pad(`${(m.rps / base.rps).toFixed(3)}×`, 11)} ${pad(m.apiCpuMs.toFixed(2), 14)} ${pad(m.pgCpuMs.toFixed(2), 13)} ${pad(m.non2xx, 7)} ${pad(m.errors + m.timeouts, 6)}\n`,
      );
    }
    process.stdout.write(
      `\nAPI RSS: ${rssStart.toFixed(0)} MiB after warm-up, ${rssEnd.toFixed(0)} MiB after the runs\n`,
    );

    let memoryOk = true;
    const memoryRun: Measure[] = [];
    if (options.minutes > 0) {
      process.stdout.write(
        `\nMemory run: small reports at concurrency ${MEMORY_CONCURRENCY} for ${options.minutes} min\n`,
      );
      const samples: { at: number; rss: number }[] = [];
      const started = Date.now();
      const sample = () => {
        const s = { at: (Date.now() - started) / 1000, rss: rssMb(apiPid) };
        samples.push(s);
        process.stdout.write(`  ${pad(s.at.toFixed(0), 5)} s  ${pad(s.rss.toFixed(0), 5)} MiB\n`);
      };
      sample();
      const timer = setInterval(sample, MEMORY_SAMPLE_MS);
      const m = await measure(url, 'small', MEMORY_CONCURRENCY, options.minutes * 60, key, counter);
      clearInterval(timer);
      sample();
      memoryRun.push(m);
      process.stdout.write(
        `  ${m.ok} reports, ${m.rps.toFixed(0)}/s, p50 ${m.p50} ms, p99 ${m.p99} ms; idle 30 s…\n`,
      );
      await new Promise((r) => setTimeout(r, 30_000));
      sample();
      // Flat: the second half of the run grows no more than 10% over the first half's peak.
      const under = samples.slice(0, -1);
      const half = Math.floor(under.length / 2);
      const firstPeak = Math.max(...under.slice(0, half).map((s) => s.rss));
      const secondPeak = Math.max(...under.slice(half).map((s) => s.rss));
      memoryOk = secondPeak <= firstPeak * 1.1;
      process.stdout.write(
        `  peak ${firstPeak.toFixed(0)} MiB in the first half, ${secondPeak.toFixed(0)} MiB in the second: ${memoryOk ? 'flat' : 'GROWING'}\n`,
      );
    }

    // A timed run ends with requests in flight, which autocannon drops unanswered; the server
    // may still commit them. So the exact count is taken over runs of a fixed number of
    // requests, every one answered.
    const timed = [...results, ...memoryRun].filter((r) => r.kind !== 'healthz');
    const timedOk = timed.reduce((sum, r) => sum + r.ok, 0);
    const cutOff = timed.reduce((sum, r) => sum + r.cutOff, 0);
    // Cut-off requests still being stored: wait until the count stands still.
    const settled = async () => {
      let last = await rows();
      for (;;) {
        await new Promise((r) => setTimeout(r, 2_000));
        const now = await rows();
        if (now === last) return now;
        last = now;
      }
    };
    const exactBefore = await settled();
    const timedRows = exactBefore - rowsBefore;
    let exactOk = 0;
    for (const [kind, amount] of [
      ['small', ACCOUNT_SMALL],
      ['recording', ACCOUNT_RECORDING],
    ] as const) {
      exactOk += (await measure(url, kind, 16, 0, key, counter, amount)).ok;
    }
    const exactRows = (await rows()) - exactBefore;
    const rowsOk = exactRows === exactOk && timedRows >= timedOk && timedRows <= timedOk + cutOff;
    process.stdout.write(
      [
        '',
        `Rows committed in reports against 2xx answers to POST /v1/reports:`,
        `  ${ACCOUNT_SMALL} small + ${ACCOUNT_RECORDING} with a recording, all answered: ${exactRows} rows, ${exactOk} 2xx (${exactRows === exactOk ? 'equal' : 'NOT EQUAL'})`,
        `  timed runs: ${timedRows} rows, ${timedOk} 2xx, ${cutOff} requests cut off unanswered at the end of a run (${timedRows >= timedOk && timedRows <= timedOk + cutOff ? 'consistent' : 'NOT CONSISTENT'})`,
        '',
      ].join('\n'),
    );

    const small = results.filter((r) => r.kind === 'small');
    const recording = results.filter((r) => r.kind === 'recording');
    const bestSmall = small
      .filter((r) => r.p99 < TARGET_SMALL_P99_MS)
      .sort((a, b) => b.rps - a.rps)[0];
    const bestRecording = recording.sort((a, b) => b.rps - a.rps)[0];
    const smallOk = !!bestSmall && bestSmall.rps >= TARGET_SMALL_RPS;
    const recordingOk = !!bestRecording && bestRecording.rps >= TARGET_RECORDING_RPS;
    process.stdout.write(
      [
        '',
        `Target ≥ ${TARGET_SMALL_RPS} small reports/s at p99 < ${TARGET_SMALL_P99_MS} ms: ${bestSmall ? `${bestSmall.rps.toFixed(0)}/s at concurrency ${bestSmall.concurrency}, p99 ${bestSmall.p99} ms` : 'no run had p99 under the target'} (${smallOk ? 'met' : 'NOT met'})`,
        `Target ≥ ${TARGET_RECORDING_RPS} reports/s with a 50 KB recording: ${bestRecording ? `${bestRecording.rps.toFixed(0)}/s at concurrency ${bestRecording.concurrency}` : '-'} (${recordingOk ? 'met' : 'NOT met'})`,
        '',
      ].join('\n'),
    );
    if (options.strict && !(smallOk && recordingOk && memoryOk && rowsOk)) process.exitCode = 1;
  } finally {
    if (worker) await stopProcess(worker);
    if (api) await stopProcess(api);
    await db.end().catch(() => undefined);
    // The worker leaves thousands of jobs behind: this run's keys go with it.
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await rm(scratch, { recursive: true, force: true });
    await rm(BUILD, { recursive: true, force: true });
    if (options.cpuProfDir)
      process.stdout.write(`CPU profile of the API in ${options.cpuProfDir}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
