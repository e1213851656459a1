import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import request from 'supertest';
import { runMigrations } from '../../src/database/prepare-database';
import { createProject, type TestProject } from '../factories/project.factory';
import { adminQuery, databaseUrl } from '../support/databases';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * The machinery `bench:burst` and `bench:pipeline` share: a migrated template database made
 * for the run (the e2e harness then clones a fresh database per world from it, with its own
 * queue prefix), the API in this process, the worker as its own process (`src/main.worker.ts`,
 * as deployed), reports posted over HTTP, and the wait until every report is in a final state.
 */

export const FINAL_STATUSES = ['filed', 'duplicate', 'needs_human', 'failed', 'resolved', 'closed'];

/** Timings the e2e harness uses, minus its fast-failure ones; the agent acts alone. */
const BENCH_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  JOB_BACKOFF_MS: '1000',
  JOB_LOCK_MS: '30000',
  RECONCILE_EVERY_MS: '30000',
  RECONCILE_STUCK_AFTER_MS: '120000',
};

export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

export function machine(): string {
  return `${availableParallelism()} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Makes the template database and points the harness at it; returns its cleanup. */
export async function prepareTemplate(): Promise<() => Promise<void>> {
  const template = `repro_bench_tpl_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${template}`);
  await runMigrations(databaseUrl(template));
  process.env.REPRO_TEST_TEMPLATE = template;
  return () => adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}

export interface World {
  h: Harness;
  api: RunningApp;
  project: TestProject;
  worker: WorkerProcess | null;
  /** Starts the worker process with these settings (on top of the world's). */
  startWorker(env?: Record<string, string>, cpuProfileDir?: string): Promise<WorkerProcess>;
  close(): Promise<void>;
}

/** A fresh database and queue prefix, the API listening, one project; no worker yet. */
export async function createWorld(env: Record<string, string> = {}): Promise<World> {
  const h = await createHarness({ ...BENCH_ENV, ...env });
  const api = await h.start('api');
  const project = await createProject(h.db);
  let profiling = false;
  const world: World = {
    h,
    api,
    project,
    worker: null,
    async startWorker(workerEnv = {}, cpuProfileDir) {
      if (cpuProfileDir) mkdirSync(resolve(cpuProfileDir), { recursive: true });
      profiling = Boolean(cpuProfileDir);
      world.worker = await startWorkerProcess(
        h,
        {
          ...BENCH_ENV,
          // How this process compiles TypeScript (swc-node reads .swcrc only when told so).
          ...(process.env.SWCRC ? { SWCRC: process.env.SWCRC } : {}),
          ...env,
          ...workerEnv,
          ...(cpuProfileDir
            ? {
                NODE_OPTIONS: `--require @swc-node/register --require ${resolve(__dirname, 'cpu-profile.ts')}`,
                CPU_PROFILE_DIR: resolve(cpuProfileDir),
              }
            : {}),
        },
        { readyTimeoutMs: 60_000 },
      );
      return world.worker;
    },
    async close() {
      if (world.worker && profiling) {
        // cpu-profile.ts writes the profile on SIGUSR2.
        process.kill(world.worker.pid, 'SIGUSR2');
        await new Promise((r) => setTimeout(r, 3_000));
      }
      if (world.worker) await world.worker.kill('SIGTERM', 60_000).catch(() => undefined);
      await h.close();
    },
  };
  return world;
}

/** Posts every payload, `concurrency` at a time; returns the report ids in payload order. */
export async function postAll(
  world: World,
  payloads: Record<string, unknown>[],
  concurrency: number,
): Promise<string[]> {
  const ids: string[] = new Array<string>(payloads.length);
  let next = 0;
  const agent = request.agent(world.api.url);
  const client = async () => {
    while (next < payloads.length) {
      const i = next++;
      const res = await agent.post('/v1/reports').set(world.project.auth).send(payloads[i]);
      if (res.status !== 202) throw new Error(`POST /v1/reports: ${res.status} ${res.text}`);
      ids[i] = (res.body as { id: string }).id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return ids;
}

/** Reports of the world's project not in a final state yet. */
export async function unfinished(world: World): Promise<number> {
  const [{ open }] = await world.h.db.query<{ open: number }[]>(
    `SELECT count(*)::int AS open FROM reports WHERE project_id = $1 AND status <> ALL($2::text[]::report_status[])`,
    [world.project.project.id, FINAL_STATUSES],
  );
  return open;
}

/** Waits until every report is final; returns the seconds it took from `since`. */
export async function untilFinal(world: World, since: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const open = await unfinished(world);
    if (open === 0) return (Date.now() - since) / 1000;
    if (Date.now() > deadline)
      throw new Error(`${open} reports still in flight after ${timeoutMs} ms`);
    if (open !== last && process.stderr.isTTY) process.stderr.write(`\r  ${open} in flight   `);
    last = open;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Final statuses of the world's reports, by id. */
export async function finalStatuses(world: World): Promise<Map<string, string>> {
  const rows = await world.h.db.query<{ id: string; status: string }[]>(
    'SELECT id, status::text FROM reports WHERE project_id = $1',
    [world.project.project.id],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** Per report id, the ticket it reached (created or duplicate), by key. */
export async function ticketsOf(world: World): Promise<Map<string, string>> {
  const rows = await world.h.db.query<{ report_id: string; key: string }[]>(
    `SELECT rt.report_id, t.key FROM report_tickets rt JOIN tickets t ON t.id = rt.ticket_id
     WHERE t.project_id = $1`,
    [world.project.project.id],
  );
  return new Map(rows.map((r) => [r.report_id, r.key]));
}
