/**
 * `npm run chaos [-- --short]`: proves Repro's recovery promises under faults, on loopback only.
 *
 * Starts a private PostgreSQL (initdb + pg_ctl on its own port and data directory) and a private
 * redis-server (its own port, no persistence), runs the built API and worker
 * (dist/src/main.api.js, main.worker.js) against them under a supervisor that restarts them when
 * they exit, seeds thousands of vague reports that wait in `clarifying`, then sends a stream of
 * reports with recordings (each client retries with the same Idempotency-Key on errors and
 * connection resets) while it SIGKILLs the API and the worker, flushes Redis and restarts
 * PostgreSQL. It exits non-zero when a promise is broken: a report answered 202 and lost or never
 * settled, two reports for one Idempotency-Key, or a waiting report without its timeout job.
 * Nothing outside its temporary folder is touched; nothing is downloaded.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { RrwebBuilder } from '../factories/rrweb-builder';

const ROOT = resolve(__dirname, '..', '..');
const SHORT = process.argv.includes('--short');
/** Keep the temporary folder (logs, data) even when every promise held. */
const KEEP = process.argv.includes('--keep');

/** Sizes and bounds: --short fits CI (a couple of minutes); the full run is the real proof. */
const PLAN = SHORT
  ? { waiting: 520, streamMs: 45_000, perSecond: 3, bugs: 8, rounds: 1, settleMs: 90_000 }
  : {
      waiting: 3_000,
      streamMs: 5 * 60_000,
      perSecond: 3,
      bugs: 20,
      rounds: 3,
      settleMs: 5 * 60_000,
    };
/** A process that exits on its own this often in 30 s cannot start: the run stops and says so. */
const CRASH_LOOP = 5;
/** Past the settle bound, the wait goes on only while some report settled this recently. */
const STALL_MS = 60_000;
/** The whole run never takes longer than this. */
const HARD_LIMIT_MS = SHORT ? 6 * 60_000 : 25 * 60_000;

const FINAL = ['filed', 'duplicate', 'failed', 'rejected', 'resolved', 'closed'];
/** The pipeline's part is done: final, or waiting for a person's decision. */
const SETTLED = [...FINAL, 'needs_human'];

const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const say = (line: string) => process.stdout.write(`[chaos ${since()}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

// ---------------------------------------------------------------- private PostgreSQL and Redis

const dir = mkdtempSync(join(tmpdir(), 'repro-chaos-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
const cleanups: (() => void)[] = [];

/** PostgreSQL's binaries (Debian keeps them out of PATH), the newest installed version. */
function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  for (const version of versions.reverse()) {
    const path = join(base, version, 'bin', name);
    if (existsSync(path)) return path;
  }
  return name; // on PATH elsewhere
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function pgUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root needs a `postgres` user to run initdb and pg_ctl as');
  }
}

class PrivatePostgres {
  readonly data = join(dir, 'pg');
  readonly sockets = join(dir, 'pg-sockets');
  private readonly user = pgUser();
  constructor(readonly port: number) {}

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/repro`;
  }

  private run(bin: string, args: string[]) {
    execFileSync(pgBin(bin), args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}),
      cwd: dir,
    });
  }

  init() {
    mkdirSync(this.data);
    mkdirSync(this.sockets);
    if (this.user) {
      chmodSync(dir, 0o755);
      for (const path of [this.data, this.sockets, logs]) {
        chownSync(path, this.user.uid, this.user.gid);
      }
    }
    this.run('initdb', [
      '-D',
      this.data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    this.start();
  }

  start() {
    this.run('pg_ctl', [
      '-D',
      this.data,
      '-l',
      join(logs, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.sockets} -c fsync=off -c max_connections=200`,
      'start',
    ]);
  }

  /** As a crash: no checkpoint, WAL recovery on the next start. */
  stopImmediately() {
    this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }

  stop() {
    try {
      this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
  }
}

class PrivateRedis {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      if ((await probe.ping().catch(() => '')) === 'PONG') break;
      await sleep(100);
    }
    probe.disconnect();
  }

  /** Redis lost its data: every queued, delayed and scheduled job is gone. */
  async flushAll() {
    const redis = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushall();
    } finally {
      redis.disconnect();
    }
  }

  stop() {
    this.proc?.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- Repro's processes

/** Runs a built entrypoint and restarts it whenever it exits, as systemd or Kubernetes would. */
class Supervised {
  private proc: ChildProcess | undefined;
  private stopping = false;
  /** Exits we did not cause (not our SIGKILL): a crash or a refusal to start. */
  readonly ownExits: string[] = [];
  private readonly ownExitTimes: number[] = [];
  private killedByUs = false;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly onOutput?: (text: string) => void,
  ) {}

  start() {
    this.starts += 1;
    this.killedByUs = false;
    const proc = spawn(process.execPath, [join(ROOT, 'dist', 'src', this.entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const file = join(logs, `${this.name}.log`);
    appendFileSync(file, `\n==== start ${this.starts} at ${since()}\n`);
    const capture = (chunk: Buffer) => {
      appendFileSync(file, chunk);
      this.onOutput?.(chunk.toString());
    };
    proc.stdout?.on('data', capture);
    proc.stderr?.on('data', capture);
    proc.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (!this.killedByUs) {
        this.ownExits.push(`${since()} exit ${code ?? signal}`);
        say(`${this.name} exited on its own (${code ?? signal}); restarting in 1 s`);
        this.ownExitTimes.push(Date.now());
        const recent = this.ownExitTimes.filter((t) => Date.now() - t < 30_000);
        if (recent.length >= CRASH_LOOP) {
          this.stopping = true;
          crashLoop(this.name, join(logs, `${this.name}.log`));
          return;
        }
      }
      setTimeout(() => !this.stopping && this.start(), this.killedByUs ? between(200, 1500) : 1000);
    });
  }

  /** SIGKILL: no shutdown hook runs; the supervisor restarts it shortly. */
  kill() {
    this.killedByUs = true;
    this.proc?.kill('SIGKILL');
  }

  stop() {
    this.stopping = true;
    this.proc?.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- clients

interface Sent {
  key: string;
  bug: number;
  /** Ids answered with 202 for this key: more than one means a duplicate. */
  ids: Set<string>;
  acceptedAt?: number;
  attempts: number;
}

async function post(
  base: string,
  auth: string,
  body: unknown,
  key: string,
): Promise<{ status: number; id?: string; retryAfterMs?: number }> {
  const res = await fetch(`${base}/v1/reports`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let id: string | undefined;
  try {
    id = (JSON.parse(text) as { id?: string }).id;
  } catch {
    // not JSON: an error page
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return {
    status: res.status,
    id,
    retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
  };
}

/** Sends until 202, retrying with the same key on errors and resets, as a careful client does. */
async function deliver(
  base: string,
  auth: string,
  body: unknown,
  sent: Sent,
  deadline: number,
  statuses: Map<string, number>,
): Promise<void> {
  while (Date.now() < deadline) {
    sent.attempts += 1;
    try {
      const res = await post(base, auth, body, sent.key);
      statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
      if (res.status === 202 || res.status === 200) {
        if (res.id) sent.ids.add(res.id);
        sent.acceptedAt ??= Date.now();
        return;
      }
      if (res.status < 500 && res.status !== 429) {
        throw new Error(`POST /v1/reports answered ${res.status} for key ${sent.key}`);
      }
      await sleep(Math.min(res.retryAfterMs ?? 1000, 2000) * between(0.5, 1));
    } catch (error) {
      if ((error as Error).message.startsWith('POST /v1/reports answered')) throw error;
      statuses.set('network error', (statuses.get('network error') ?? 0) + 1);
      await sleep(between(200, 1000));
    }
  }
}

const SYLLABLES = ['ka', 'lo', 'vex', 'tam', 'sin', 'pri', 'do', 'mur', 'zen', 'qua', 'fel', 'rho'];
const word = () => Array.from(randomBytes(3), (b) => SYLLABLES[b % SYLLABLES.length]).join('');

/** A vague report: the agent asks the reporter questions, and it waits in `clarifying`. */
function vagueReport(n: number) {
  return {
    description: `${word()} is broken`,
    reporter: { id: `waiting-${n}`, email: `waiting-${n}@acme.example` },
  };
}

/** The bugs of the stream: each its own feature, page, endpoint and error. */
function bugs(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const feature = `${word()}${i}`;
    return {
      feature,
      page: `https://app.acme.example/${feature}`,
      endpoint: `https://app.acme.example/api/${feature}/save`,
      error: `TypeError: ${feature}Settings.${word()} is undefined`,
    };
  });
}

/** A detailed report of `bug` with a recording of it failing. */
function streamReport(bug: ReturnType<typeof bugs>[number], n: number) {
  const b = new RrwebBuilder(bug.page);
  b.t0 = Date.now() - 8_000;
  const events = b
    .load(0, (x) => [x.el('button', {}, [`Save ${bug.feature}`], 'save')])
    .click(1_000, 'save')
    .request(1_200, 'POST', bug.endpoint, 500)
    .consoleError(1_300, bug.error).events;
  return {
    description: [
      `Saving ${bug.feature} settings fails with an error (${n}).`,
      '',
      'Steps to reproduce:',
      `1. Open ${bug.page}`,
      `2. Click "Save ${bug.feature}"`,
      '',
      'Expected: the settings are saved.',
      `Actual: an error toast appears and the request to ${bug.endpoint} fails with a 500.`,
      '',
      'It happens every time since this morning and blocks our team. Chrome 131 on macOS.',
    ].join('\n'),
    reporter: { id: `streamer-${n}`, email: `streamer-${n}@acme.example` },
    page: { url: bug.page, title: `${bug.feature} · Acme` },
    events,
  };
}

// ---------------------------------------------------------------- the run

async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
) {
  for (let attempt = 0; ; attempt++) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      return (await client.query(sql, params)).rows as T[];
    } catch (error) {
      if (attempt >= 30) throw error;
      await sleep(500);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function waitUntil(what: string, limitMs: number, probe: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return true;
    await sleep(250);
  }
  say(`gave up waiting for ${what} after ${limitMs / 1000} s`);
  return false;
}

interface Fault {
  kind: 'kill api' | 'kill worker' | 'flush redis' | 'restart postgres';
  at: number;
  readyAfterMs?: number;
  settledAfterMs?: number;
}

async function main(): Promise<number> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'main.api.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm run chaos does)');
  }
  for (const bin of ['initdb', 'pg_ctl']) {
    const path = pgBin(bin);
    if (path === bin && !execFileSync('sh', ['-c', `command -v ${bin} || true`]).length) {
      throw new Error(
        `${bin} not found (apt-get install postgresql); the chaos run starts its own`,
      );
    }
  }
  say(`${SHORT ? 'short' : 'full'} run in ${dir}`);
  const pg = new PrivatePostgres(await freePort());
  pg.init();
  cleanups.push(() => pg.stop());
  const redis = new PrivateRedis(await freePort());
  await redis.start();
  cleanups.push(() => redis.stop());
  say(`PostgreSQL on 127.0.0.1:${pg.port}, Redis on 127.0.0.1:${redis.port}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: 'chaos',
    LOG_LEVEL: 'warn',
    // Recovery timings shortened so that a run takes minutes; the mechanisms are the real ones.
    RECONCILE_EVERY_MS: '2000',
    RECONCILE_STUCK_AFTER_MS: '5000',
    JOB_BACKOFF_MS: '200',
    WORKER_CONCURRENCY: '8',
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
  let firstKey = '';
  let output = '';
  const api = new Supervised('api', 'main.api.js', env, (text) => {
    if (firstKey) return;
    output += text;
    firstKey = /^\s{4}(\S+)\s*$/m.exec(output.split('shown once')[1] ?? '')?.[1] ?? '';
  });
  const worker = new Supervised('worker', 'main.worker.js', env);
  cleanups.push(
    () => api.stop(),
    () => worker.stop(),
  );
  api.start();
  await waitUntil('the API to print its first key', 60_000, () => firstKey !== '');
  if (!firstKey) throw new Error('the API did not print the default project key');
  worker.start();
  const auth = `Bearer ${firstKey}`;
  const ready = async () => (await fetch(`${base}/readyz`)).ok;
  await waitUntil('the API to be ready', 60_000, ready);

  // 1. Thousands of reports waiting for their reporter.
  const statuses = new Map<string, number>();
  const seedStarted = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < PLAN.waiting) {
        const n = next++;
        const sent: Sent = { key: `waiting-${n}`, bug: -1, ids: new Set(), attempts: 0 };
        await deliver(base, auth, vagueReport(n), sent, Date.now() + 60_000, statuses);
      }
    }),
  );
  say(
    `seeded ${PLAN.waiting} vague reports in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
  );
  const waitingCount = async () =>
    Number(
      (
        await query<{ n: number }>(
          pg.url,
          `SELECT count(*)::int AS n FROM reports WHERE status = 'clarifying' AND idempotency_key LIKE 'waiting-%'`,
        )
      )[0].n,
    );
  await waitUntil(
    `${PLAN.waiting} reports to wait in clarifying`,
    SHORT ? 120_000 : 600_000,
    async () => {
      return (await waitingCount()) >= PLAN.waiting;
    },
  );
  const waiting = await waitingCount();
  say(
    `${waiting} reports wait in clarifying (${((Date.now() - seedStarted) / 1000).toFixed(1)} s)`,
  );

  // 2. The stream, with faults at random moments.
  const kinds: Fault['kind'][] = ['kill api', 'kill worker', 'flush redis', 'restart postgres'];
  const faults: Fault[] = [];
  for (let round = 0; round < PLAN.rounds; round++) {
    for (const kind of [...kinds].sort(() => Math.random() - 0.5)) faults.push({ kind, at: 0 });
  }
  const slot = PLAN.streamMs / (faults.length + 1);
  const streamStart = Date.now();
  faults.forEach((f, i) => (f.at = streamStart + slot * (i + 0.5) + between(0, slot * 0.8)));

  const bugList = bugs(PLAN.bugs);
  const stream: Sent[] = [];
  const clients: Promise<void>[] = [];
  const streamEnd = streamStart + PLAN.streamMs;
  const deliverBy = streamEnd + 60_000;
  const sender = (async () => {
    let n = 0;
    while (Date.now() < streamEnd) {
      const bug = n % bugList.length;
      const sent: Sent = { key: `stream-${randomUUID()}`, bug, ids: new Set(), attempts: 0 };
      stream.push(sent);
      clients.push(deliver(base, auth, streamReport(bugList[bug], n), sent, deliverBy, statuses));
      n += 1;
      await sleep(1000 / PLAN.perSecond);
    }
  })();

  for (const fault of faults) {
    await sleep(Math.max(0, fault.at - Date.now()));
    fault.at = Date.now();
    say(`fault: ${fault.kind}`);
    if (fault.kind === 'kill api') api.kill();
    if (fault.kind === 'kill worker') worker.kill();
    if (fault.kind === 'flush redis') await redis.flushAll();
    if (fault.kind === 'restart postgres') {
      pg.stopImmediately();
      await sleep(between(1000, 3000));
      pg.start();
    }
    await waitUntil('/readyz after the fault', 60_000, ready);
    fault.readyAfterMs = Date.now() - fault.at;
  }
  await sender;
  await Promise.all(clients);
  say(`stream done: ${stream.length} reports sent`);

  // 3. Every accepted report settles within the bound.
  const accepted = stream.filter((s) => s.ids.size > 0);
  const ids = [...new Set(accepted.flatMap((s) => [...s.ids]))];
  // When each report settled: its first move into a settled status, from the audit log.
  const rowsOf = () =>
    query<{ id: string; key: string; status: string; settled: Date | null }>(
      pg.url,
      `SELECT r.id, r.idempotency_key AS key, r.status,
              (SELECT min(e.created_at) FROM pipeline_events e
                WHERE e.report_id = r.id AND e.to_status = ANY($1)) AS settled
         FROM reports r WHERE r.idempotency_key LIKE 'stream-%'`,
      [SETTLED],
    );
  // The bound: PLAN.settleMs after the stream, extended while reports keep settling (a slow
  // machine drains slowly; a lost report never moves), within the run's hard limit.
  let lastProgress = Date.now();
  let lastSettled = -1;
  const settleStart = Date.now();
  await waitUntil('every accepted report to settle', HARD_LIMIT_MS, async () => {
    const rows = await rowsOf();
    const settledNow = ids.filter((id) =>
      SETTLED.includes(rows.find((r) => r.id === id)?.status ?? ''),
    ).length;
    if (settledNow > lastSettled) [lastSettled, lastProgress] = [settledNow, Date.now()];
    const overBound = Date.now() - settleStart > PLAN.settleMs;
    const stalled = Date.now() - lastProgress > STALL_MS;
    if (overBound && (stalled || Date.now() - started > HARD_LIMIT_MS - 120_000)) return true;
    return settledNow === ids.length;
  });
  const rows = await rowsOf();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const rowsByKey = new Map<string, number>();
  for (const r of rows) rowsByKey.set(r.key, (rowsByKey.get(r.key) ?? 0) + 1);

  const duplicates =
    accepted.filter((s) => s.ids.size > 1).length +
    [...rowsByKey.values()].filter((n) => n > 1).length;
  const missingRows = ids.filter((id) => !byId.has(id)).length;
  const unsettled = ids.filter((id) => byId.has(id) && !SETTLED.includes(byId.get(id)!.status));
  const lost = missingRows + unsettled.length;
  const final = rows.filter((r) => FINAL.includes(r.status)).length;
  const humans = rows.filter((r) => r.status === 'needs_human').length;
  const failed = rows.filter((r) => r.status === 'failed').length;

  for (const fault of faults) {
    const before = accepted.filter((s) => s.acceptedAt! <= fault.at);
    const settledAt = before.map(
      (s) => byId.get([...s.ids][0])?.settled?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    const last = Math.max(fault.at, ...settledAt);
    fault.settledAfterMs = last - fault.at;
  }

  // 4. Every report still waiting for its reporter has its timeout job back.
  const waitingIds = await query<{ id: string }>(
    pg.url,
    `SELECT id FROM reports WHERE status = 'clarifying' AND idempotency_key LIKE 'waiting-%'`,
  );
  const timeouts = new Set<string>();
  const r = new Redis(redis.url);
  await waitUntil('every waiting report to have its timeout job', 60_000, async () => {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await r.scan(
        cursor,
        'MATCH',
        'chaos:pipeline:ClarifyTimeout-*',
        'COUNT',
        1000,
      );
      cursor = nextCursor;
      for (const key of keys)
        timeouts.add(
          key.split(':')[2].slice('ClarifyTimeout-'.length, 'ClarifyTimeout-'.length + 36),
        );
    } while (cursor !== '0');
    return waitingIds.every((w) => timeouts.has(w.id));
  });
  r.disconnect();
  const withoutTimeout = waitingIds.filter((w) => !timeouts.has(w.id)).length;

  const tickets = Number(
    (await query<{ n: number }>(pg.url, 'SELECT count(*)::int AS n FROM tickets'))[0].n,
  );
  // How long an accepted report took to settle, from its 202.
  const latencies = accepted
    .map((s) => (byId.get([...s.ids][0])?.settled?.getTime() ?? NaN) - s.acceptedAt!)
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length
      ? `${(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] / 1000).toFixed(1)} s`
      : 'n/a';
  const answers = [...statuses.entries()].map(([k, v]) => `${k}: ${v}`).join(', ');

  const lines = [
    '',
    `Chaos run (${SHORT ? 'short' : 'full'}): ${PLAN.waiting} reports waiting in clarifying, ${PLAN.streamMs / 1000} s stream, ${faults.length} faults`,
    `  reports sent                          ${stream.length}`,
    `  202s (distinct keys accepted)         ${accepted.length}`,
    `  answers seen by clients               ${answers}`,
    `  reports in a final state              ${final} (${failed} failed), ${humans} waiting for a person`,
    `  202 to settled                        p50 ${pct(0.5)}, p99 ${pct(0.99)}, max ${pct(1)}`,
    `  tickets against distinct bugs         ${tickets} tickets for ${PLAN.bugs} bugs`,
    `  duplicates created by retries         ${duplicates}`,
    `  reports lost                          ${lost} (${missingRows} without a row, ${unsettled.length} never settled)`,
    `  waiting reports without timeout job   ${withoutTimeout} of ${waitingIds.length}`,
    `  processes exiting on their own        api ${api.ownExits.length}, worker ${worker.ownExits.length}`,
    '  recovery after each fault (ready again / every report accepted before it settled):',
    ...faults.map(
      (f) =>
        `    ${f.kind.padEnd(18)} at ${((f.at - started) / 1000).toFixed(1).padStart(6)} s   ${((f.readyAfterMs ?? 0) / 1000).toFixed(1)} s / ${Number.isFinite(f.settledAfterMs) ? `${((f.settledAfterMs ?? 0) / 1000).toFixed(1)} s` : 'not all settled'}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const broken = [
    duplicates > 0 && 'duplicates created by retries',
    lost > 0 && 'reports lost',
    accepted.length < stream.length && 'reports never accepted within the bound',
    withoutTimeout > 0 && 'waiting reports without their timeout job',
  ].filter(Boolean);
  if (unsettled.length) {
    say(
      `unsettled: ${unsettled
        .slice(0, 10)
        .map((id) => `${id} (${byId.get(id)?.status})`)
        .join(', ')}`,
    );
  }
  if (broken.length) {
    process.stdout.write(`\nBROKEN: ${broken.join('; ')}. Logs: ${logs}\n`);
    return 1;
  }
  process.stdout.write('\nAll promises held.\n');
  return 0;
}

let keepLogs = true;

function crashLoop(name: string, log: string): void {
  say(`${name} exited on its own ${CRASH_LOOP} times in 30 s: it cannot run. Its log: ${log}`);
  cleanup();
  process.exit(1);
}

const watchdog = setTimeout(() => {
  say(`over the ${HARD_LIMIT_MS / 60_000} min bound; stopping. Logs: ${logs}`);
  cleanup();
  process.exit(2);
}, HARD_LIMIT_MS);

function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  if (!keepLogs) rmSync(dir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

main()
  .then((code) => {
    keepLogs = KEEP || code !== 0;
    if (keepLogs) process.stdout.write(`Kept ${dir}\n`);
    clearTimeout(watchdog);
    cleanup();
    process.exit(code);
  })
  .catch((error: unknown) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.stdout.write(`Logs: ${logs}\n`);
    clearTimeout(watchdog);
    cleanup();
    process.exit(1);
  });
