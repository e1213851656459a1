import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { JobName, pipelineJobId } from '../../src/queue/queue.constants';
import { PRODUCER_COMMAND_TIMEOUT_MS } from '../../src/queue/redis-connection';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { freePort } from '../support/process';

/**
 * A TCP address in front of a real server that can be cut off (connections reset, new ones
 * refused, as when the server is stopped) and brought back on the same port without touching
 * the server itself or anyone else's connections to it.
 */
class Gate {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** A gate on a free port, closed until open() is called. */
  static async to(target: { host: string; port: number }): Promise<Gate> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return new Gate(port, target);
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/** A URL like `url` (same credentials, database) but at the gate's address. */
function through(url: string, gate: Gate): string {
  const gated = new URL(url);
  gated.hostname = '127.0.0.1';
  gated.port = String(gate.port);
  return gated.toString();
}

function targetOf(url: string, defaultPort: number) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
}

/** Runs `send` and returns its response with how long it took. */
async function timed<T>(send: () => PromiseLike<T>): Promise<{ res: T; ms: number }> {
  const started = performance.now();
  const res = await send();
  return { res, ms: performance.now() - started };
}

describe('fail fast when PostgreSQL or Redis is down', () => {
  let h: Harness;
  let acme: TestProject;
  const gates: Gate[] = [];
  const gate = async (url: string, defaultPort: number) => {
    const g = await Gate.to(targetOf(url, defaultPort));
    gates.push(g);
    return g;
  };

  beforeAll(async () => {
    h = await createHarness();
    acme = await createProject(h.db);
  });
  afterAll(async () => {
    await h.close();
    for (const g of gates) await g.close();
  });

  it('PostgreSQL down: intake answers 503 DEPENDENCY_UNAVAILABLE with Retry-After within a second, stores nothing, and recovers without a restart', async () => {
    const pg = await gate(h.config.DATABASE_URL, 5432);
    await pg.open();
    // A password in the URL (trust auth ignores it) that must never reach a client.
    const secret = 'pg-secret-do-not-leak';
    const gatedUrl = new URL(through(h.config.DATABASE_URL, pg));
    gatedUrl.password = secret;
    const api: RunningApp = await h.start('api', { DATABASE_URL: gatedUrl.toString() });

    const created = await request(api.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .expect(202);
    await request(api.url).get('/readyz').expect(200);

    await pg.close();
    const key = `outage-${randomUUID()}`;
    const payload = reportPayload();
    const attempts = {
      report: () =>
        request(api.url)
          .post('/v1/reports')
          .set(acme.auth)
          .set('Idempotency-Key', key)
          .send(payload),
      chunk: () =>
        request(api.url)
          .post(`/v1/recordings/sess_${randomUUID().slice(0, 8)}/chunks`)
          .query({ seq: 0 })
          .set(acme.auth)
          .send([{ type: 4, data: { href: 'https://x.example/' }, timestamp: Date.now() }]),
      message: () =>
        request(api.url)
          .post(`/v1/reports/${created.body.id}/messages`)
          .set(acme.auth)
          .send({ body: 'It happens every time I click Save.' }),
    };
    for (const [what, send] of Object.entries(attempts)) {
      const { res, ms } = await timed(send);
      expect({ what, status: res.status }).toEqual({ what, status: 503 });
      expect(ms).toBeLessThan(1_000);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body.error).toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        details: { dependency: 'postgres' },
      });
      expect(JSON.stringify(res.body)).not.toContain(secret);
      expect(JSON.stringify(res.body)).not.toContain('postgres://');
    }

    const { res: ready, ms: readyMs } = await timed(() => request(api.url).get('/readyz'));
    expect(ready.status).toBe(503);
    expect(readyMs).toBeLessThan(1_000);
    expect(ready.headers['retry-after']).toMatch(/^\d+$/);
    expect(ready.body.error.details.down).toContain('postgres');
    expect(ready.body.error.details.checks.redis).toBe('ok');
    expect(JSON.stringify(ready.body)).not.toContain(secret);

    // Nothing half-stored: the refused report does not exist.
    const stored = () =>
      h.db.query('SELECT count(*)::int AS n FROM reports WHERE idempotency_key = $1', [key]);
    expect((await stored())[0].n).toBe(0);

    // PostgreSQL is back: the same process serves again, and the client's retry stores it once.
    await pg.open();
    await waitFor(async () => (await request(api.url).get('/readyz')).status === 200, {
      what: 'the API to see PostgreSQL again',
    });
    await attempts.report().expect(202);
    await attempts.report().expect(202);
    expect((await stored())[0].n).toBe(1);
    await api.close();
  });

  it('Redis down: intake still stores the report (202) within a second, /readyz names Redis, and the same process queues again once Redis is back', async () => {
    const redis = await gate(h.config.REDIS_URL, 6379);
    const api = await h.start('api', { REDIS_URL: through(h.config.REDIS_URL, redis) });

    const { res: ready, ms: readyMs } = await timed(() => request(api.url).get('/readyz'));
    expect(ready.status).toBe(503);
    expect(readyMs).toBeLessThan(1_000);
    expect(ready.body.error.details.down).toEqual(['redis']);
    expect(ready.body.error.message).toContain('redis');

    // The report is safe in PostgreSQL; the reconciler queues it once Redis is back.
    const { res: created, ms } = await timed(() =>
      request(api.url).post('/v1/reports').set(acme.auth).send(reportPayload()),
    );
    expect(created.status).toBe(202);
    expect(ms).toBeLessThan(1_000);
    const { res: reply, ms: replyMs } = await timed(() =>
      request(api.url)
        .post(`/v1/reports/${created.body.id}/messages`)
        .set(acme.auth)
        .send({ body: 'It happens every time I click Save.' }),
    );
    expect(replyMs).toBeLessThan(1_000);
    // Whatever the answer, it is an answer: stored (2xx), or 503 naming Redis, never a hang or 500.
    if (reply.status >= 500) {
      expect(reply.status).toBe(503);
      expect(reply.body.error).toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        details: { dependency: 'redis' },
      });
    }

    await redis.open();
    await waitFor(async () => (await request(api.url).get('/readyz')).status === 200, {
      what: 'the API to see Redis again',
    });
    const next = await request(api.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .expect(202);
    const jobKey = `${h.config.QUEUE_PREFIX}:pipeline:${pipelineJobId(JobName.AnalyzeReport, next.body.id)}`;
    expect(await h.redis.exists(jobKey)).toBe(1);
    await api.close();
  });

  it('Redis paused mid-run (connected, not answering): intake answers 202 within seconds instead of hanging, and queues again once Redis resumes', async () => {
    const port = await freePort();
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => server.once('exit', resolve));
    const url = `redis://127.0.0.1:${port}`;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await waitFor(() => probe.ping().catch(() => undefined), { what: 'the private Redis' });
      const api = await h.start('api', { REDIS_URL: url });
      await request(api.url).post('/v1/reports').set(acme.auth).send(reportPayload()).expect(202);

      server.kill('SIGSTOP');
      const { res, ms } = await timed(() =>
        request(api.url).post('/v1/reports').set(acme.auth).send(reportPayload()).timeout(10_000),
      );
      expect(res.status).toBe(202);
      // The producer gives up after PRODUCER_COMMAND_TIMEOUT_MS (the rate limiter, which also
      // talks to Redis first, after its own 1 s); without a bound the request never ends.
      expect(ms).toBeLessThan(PRODUCER_COMMAND_TIMEOUT_MS + 3_000);
      const { res: ready, ms: readyMs } = await timed(() => request(api.url).get('/readyz'));
      expect(ready.status).toBe(503);
      expect(readyMs).toBeLessThan(3_000);
      expect(ready.body.error.details.down).toEqual(['redis']);

      server.kill('SIGCONT');
      await waitFor(async () => (await request(api.url).get('/readyz')).status === 200, {
        what: 'the API to see Redis answer again',
      });
      const next = await request(api.url)
        .post('/v1/reports')
        .set(acme.auth)
        .send(reportPayload())
        .expect(202);
      const jobKey = `${h.config.QUEUE_PREFIX}:pipeline:${pipelineJobId(JobName.AnalyzeReport, next.body.id)}`;
      expect(await probe.exists(jobKey)).toBe(1);
      await api.close();
    } finally {
      probe.disconnect();
      server.kill('SIGCONT');
      server.kill('SIGKILL');
      await exited;
    }
  });
});
