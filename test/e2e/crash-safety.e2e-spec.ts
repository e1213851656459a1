import { Queue } from 'bullmq';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import type { AppConfig } from '../../src/config/config.schema';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { ReportTicket } from '../../src/modules/trackers/entities/report-ticket.entity';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { QueueName, RECONCILE_SCHEDULER_ID } from '../../src/queue/queue.constants';
import { redisOptions } from '../../src/queue/redis-connection';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { FULL_PIPELINE } from '../support/reports';
import {
  killWorkerProcesses,
  startWorkerProcess,
  type WorkerProcess,
} from '../support/worker-process';

/** A transaction in its own connection holding `LOCK TABLE`: stalls whoever touches the table. */
interface TableLock {
  /** Backends waiting for this lock, with the statement each is stuck on. */
  waiters(): Promise<{ pid: number; query: string }[]>;
  release(): Promise<void>;
}

describe('crash safety: a report is filed exactly once whatever dies on the way', () => {
  let h: Harness;
  let acme: TestProject;
  let maintenance: Queue;
  const locks: TableLock[] = [];
  const apps: RunningApp[] = [];
  const workers: WorkerProcess[] = [];
  const proxies: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    h = await createHarness();
    acme = await createProject(h.db);
    maintenance = new Queue(QueueName.Maintenance, {
      connection: { ...redisOptions(h.config.REDIS_URL), maxRetriesPerRequest: 3 },
      prefix: h.config.QUEUE_PREFIX,
    });
  });

  afterEach(async () => {
    for (const lock of locks.splice(0)) await lock.release();
    await killWorkerProcesses();
    workers.length = 0;
    for (const app of apps.splice(0)) await app.close();
    for (const proxy of proxies.splice(0)) await proxy.stop();
  });

  afterAll(async () => {
    await maintenance.close();
    await h.close();
  });

  async function start(
    role: 'api' | 'worker',
    overrides: Partial<AppConfig> = {},
  ): Promise<RunningApp> {
    const app = await h.start(role, overrides);
    apps.push(app);
    return app;
  }

  async function spawnWorker(): Promise<WorkerProcess> {
    const worker = await startWorkerProcess(h);
    workers.push(worker);
    return worker;
  }

  async function lockTable(table: 'tickets' | 'recordings'): Promise<TableLock> {
    const client = new Client({ connectionString: h.config.DATABASE_URL });
    await client.connect();
    await client.query('BEGIN');
    // Writers wait; readers (dedupe looks tickets up before filing) go on. Recordings block
    // every access, so analysis itself waits.
    await client.query(
      `LOCK TABLE ${table} IN ${table === 'tickets' ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE'} MODE`,
    );
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const holder = rows[0].pid;
    let released = false;
    const lock: TableLock = {
      // Asked from another connection: inside a transaction pg_stat_activity is a snapshot.
      waiters: () =>
        h.db.query<{ pid: number; query: string }[]>(
          'SELECT pid, query FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [holder],
        ),
      async release() {
        if (released) return;
        released = true;
        await client.query('ROLLBACK');
        await client.end();
      },
    };
    locks.push(lock);
    return lock;
  }

  /**
   * A Redis address where nothing answers yet; comeBack() starts forwarding it to the real
   * Redis, as when Redis is restarted, and goAway() cuts it off again.
   */
  async function unreachableRedis(): Promise<{
    url: string;
    comeBack(): Promise<void>;
    goAway(): Promise<void>;
  }> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const target = new URL(h.config.REDIS_URL);
    // The same Redis URL but for the address: the database number (TEST_REDIS_URL may say
    // /1, as docker-compose.yml does) and credentials must match the worker's, or the API
    // queues into another database once Redis is back and the worker never sees the job.
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    let proxy: { stop(): Promise<void> } | undefined;
    return {
      url: url.toString(),
      async comeBack() {
        const sockets = new Set<Socket>();
        const server = createServer((client) => {
          const upstream = connect(Number(target.port || 6379), target.hostname);
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on('error', () => undefined);
            socket.on('close', () => {
              sockets.delete(socket);
              client.destroy();
              upstream.destroy();
            });
          }
          client.pipe(upstream).pipe(client);
        });
        proxy = {
          stop: async () => {
            sockets.forEach((socket) => socket.destroy());
            await new Promise((resolve) => server.close(resolve));
          },
        };
        proxies.push(proxy);
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      },
      async goAway() {
        await proxy?.stop();
      },
    };
  }

  /** Deletes every Redis key of this app (this file's prefix): Redis lost its data. */
  async function loseRedisData(): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await h.redis.scan(
        cursor,
        'MATCH',
        `${h.config.QUEUE_PREFIX}:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length) deleted += await h.redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  async function postReport(api: RunningApp): Promise<string> {
    const res = await request(api.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .timeout(5_000)
      .expect(202);
    return res.body.id as string;
  }

  async function statusOf(id: string): Promise<string | undefined> {
    return (await h.db.getRepository(Report).findOneBy({ id }))?.status;
  }

  /** Waits for `filed`; on timeout, says where the report got stuck and what workers logged. */
  async function waitForFiled(id: string, timeoutMs = 20_000): Promise<void> {
    try {
      await waitFor(async () => (await statusOf(id)) === 'filed', {
        timeoutMs,
        what: `report ${id} to be filed`,
      });
    } catch (error) {
      const events = await h.db
        .getRepository(PipelineEvent)
        .find({ where: { reportId: id }, order: { id: 'ASC' } });
      const trail = events.map((e) => `${e.stage}/${e.event}: ${e.reason}`).join('\n');
      const logs = workers.map((w) => `--- worker ${w.pid} ---\n${w.output()}`).join('\n');
      throw new Error(`${(error as Error).message}\n--- audit log ---\n${trail}\n${logs}`, {
        cause: error,
      });
    }
  }

  /** One issue, one ticket, one link, the key GET shows, and every transition exactly once. */
  async function expectFiledOnce(api: RunningApp, id: string): Promise<void> {
    const issues = await h.db.getRepository(BuiltinIssue).findBy({ originReportId: id });
    expect(issues).toHaveLength(1);
    const tickets = await h.db.getRepository(Ticket).findBy({ externalId: issues[0].id });
    expect(tickets).toHaveLength(1);
    const links = await h.db.getRepository(ReportTicket).findBy({ reportId: id });
    expect(links).toEqual([
      expect.objectContaining({ ticketId: tickets[0].id, relation: 'created' }),
    ]);
    expect(tickets[0].key).toBe(`REPRO-${issues[0].number}`);

    const view = await request(api.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200);
    expect(view.body.status).toBe('filed');
    expect(view.body.ticket).toEqual({
      key: tickets[0].key,
      url: expect.stringContaining(`/app/tickets/${tickets[0].key}`),
      relation: 'created',
    });

    const transitions = await h.db
      .getRepository(PipelineEvent)
      .find({ where: { reportId: id, event: 'transition' }, order: { id: 'ASC' } });
    expect(transitions.map((e) => [e.fromStatus, e.toStatus])).toEqual(FULL_PIPELINE);
  }

  async function requeuedByReconciler(id: string): Promise<PipelineEvent[]> {
    return h.db
      .getRepository(PipelineEvent)
      .findBy({ reportId: id, stage: 'reconcile', event: 'requeued' });
  }

  describe('a worker killed with SIGKILL', () => {
    it('in the middle of the pipeline: a fresh worker finishes the report, with exactly one ticket', async () => {
      const api = await start('api');
      // The worker will create the issue, then block on its first write to `tickets`: the
      // window between the tracker holding an issue and our database knowing about it.
      const lock = await lockTable('tickets');
      const doomed = await spawnWorker();
      const id = await postReport(api);

      const waiter = await waitFor(
        async () => {
          const [blocked] = await lock.waiters();
          const issued = await h.db.getRepository(BuiltinIssue).countBy({ originReportId: id });
          return blocked && issued === 1 ? blocked : undefined;
        },
        { what: 'the worker to create the issue and block on the tickets table' },
      );
      expect(waiter.query).toMatch(/^INSERT INTO "tickets"/);
      expect(await statusOf(id)).toBe('filing');

      expect(await doomed.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      await lock.release();
      expect(await statusOf(id)).toBe('filing');

      await spawnWorker();
      await waitForFiled(id);
      await expectFiledOnce(api, id);
    });

    it('mid-stage earlier in the pipeline: a fresh worker finishes the report, with exactly one ticket', async () => {
      const api = await start('api');
      // Analysis commits received → analyzing, then reads the recording: it blocks there.
      const lock = await lockTable('recordings');
      const doomed = await spawnWorker();
      const id = await postReport(api);

      const waiter = await waitFor(
        async () => {
          const [blocked] = await lock.waiters();
          return blocked && (await statusOf(id)) === 'analyzing' ? blocked : undefined;
        },
        { what: 'the worker to start analysing and block on the recordings table' },
      );
      expect(waiter.query).toMatch(/FROM "recordings"/);
      await doomed.kill('SIGKILL');
      await lock.release();

      await spawnWorker();
      await waitForFiled(id);
      await expectFiledOnce(api, id);
    });
  });

  describe('Redis loses its data', () => {
    it('after intake: the reconciler queues the report again and it is filed once', async () => {
      const api = await start('api');
      const id = await postReport(api);
      expect(await loseRedisData()).toBeGreaterThan(0);

      await start('worker');
      await waitForFiled(id);
      await expectFiledOnce(api, id);
      expect(await requeuedByReconciler(id)).toEqual([
        expect.objectContaining({ reason: expect.stringContaining('with no job') }),
      ]);
    });

    it('while a worker is running and a report is mid-way: the schedule comes back and the report is filed once', async () => {
      const api = await start('api');
      await start('worker');
      const lock = await lockTable('recordings');
      const id = await postReport(api);
      await waitFor(
        async () => (await lock.waiters()).length > 0 && (await statusOf(id)) === 'analyzing',
        { what: 'the worker to start analysing and block on the recordings table' },
      );

      expect(await loseRedisData()).toBeGreaterThan(0);
      // The running worker puts the reconcile schedule back, and the reconciler finds the
      // report whose job vanished.
      await waitFor(() => maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID), {
        what: 'the reconcile schedule to come back',
      });
      await waitFor(async () => (await requeuedByReconciler(id)).length > 0, {
        what: 'the reconciler to queue the report again',
      });
      await lock.release();

      await waitForFiled(id);
      await expectFiledOnce(api, id);
    });
  });

  it('enqueue fails at intake (Redis unreachable for the API): 202, and a worker files it later', async () => {
    const redis = await unreachableRedis();
    const api = await start('api', { REDIS_URL: redis.url });
    const ready = await request(api.url).get('/readyz').timeout(5_000).expect(503);
    expect(ready.body.error.details.checks).toMatchObject({ postgres: 'ok', migrations: 'ok' });
    expect(ready.body.error.details.checks.redis).not.toBe('ok');

    const id = await postReport(api);
    expect(await statusOf(id)).toBe('received');

    await start('worker');
    await waitForFiled(id);
    await expectFiledOnce(api, id);
    expect(await requeuedByReconciler(id)).toHaveLength(1);

    // Once Redis answers, the same API process queues reports itself again.
    await redis.comeBack();
    await waitFor(async () => (await request(api.url).get('/readyz')).status === 200, {
      what: 'the API to see Redis again',
    });
    const next = await postReport(api);
    await waitForFiled(next);
    await expectFiledOnce(api, next);
    expect(await requeuedByReconciler(next)).toEqual([]);

    // And it shuts down cleanly while Redis is unreachable.
    await redis.goAway();
    await expect(api.close()).resolves.toBeUndefined();
  });

  it('a worker receiving SIGTERM mid-job finishes the job, exits 0 in time, and the report is filed once', async () => {
    const api = await start('api');
    const lock = await lockTable('tickets');
    const worker = await spawnWorker();
    const id = await postReport(api);
    await waitFor(async () => (await lock.waiters()).length > 0, {
      what: 'the worker to block while filing',
    });

    const signalledAt = Date.now();
    const exit = worker.kill('SIGTERM', h.config.SHUTDOWN_TIMEOUT_MS + 5_000);
    // It stops taking new jobs at once, but keeps the running one.
    await waitFor(async () => !(await worker.takingJobs()), {
      what: 'the worker to stop taking jobs',
    });
    expect(await statusOf(id)).toBe('filing');
    await lock.release();

    const result = await exit;
    if (result.code !== 0) process.stderr.write(worker.output());
    expect(result).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(h.config.SHUTDOWN_TIMEOUT_MS);
    // No other worker exists: the one shutting down filed it before exiting.
    expect(await statusOf(id)).toBe('filed');
    await expectFiledOnce(api, id);
  });
});
