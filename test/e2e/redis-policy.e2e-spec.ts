import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { checkMaxmemoryPolicy } from '../../src/queue/redis-connection';
import { createHarness, type Harness, waitFor } from '../support/harness';
import { type Child, freePort, runEntrypoint } from '../support/process';

/** A private redis-server on its own port, without persistence, started with `args`. */
async function privateRedis(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await waitFor(() => probe.ping().catch(() => undefined), { what: `redis-server on ${port}` });
  probe.disconnect();
  return {
    url,
    async stop() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** What checkMaxmemoryPolicy says about the Redis at `url`. */
async function warningsFor(url: string): Promise<string[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const said: string[] = [];
  try {
    await checkMaxmemoryPolicy(redis, { warn: (m: string) => said.push(m), log: () => undefined });
  } finally {
    redis.disconnect();
  }
  return said;
}

describe('Redis maxmemory-policy check', () => {
  let h: Harness;
  const stops: (() => Promise<void>)[] = [];
  const children: Child[] = [];

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    for (const child of children) child.proc.kill('SIGKILL');
    for (const stop of stops) await stop();
    await h.close();
  });

  it('an API started on a Redis that evicts keys logs a warning naming the setting and the fix, and still serves', async () => {
    const redis = await privateRedis(['--maxmemory-policy', 'allkeys-lru']);
    stops.push(redis.stop);
    const port = await freePort();
    const api = runEntrypoint('src/main.api.ts', {
      ...h.env,
      REDIS_URL: redis.url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      MIGRATIONS_RUN: 'false',
    });
    children.push(api);
    const line = await waitFor(
      () =>
        api
          .output()
          .split('\n')
          .find((l) => l.includes('maxmemory-policy')),
      { timeoutMs: 30_000, what: `the maxmemory-policy warning; output so far:\n${api.output()}` },
    );
    expect(JSON.parse(line)).toMatchObject({
      level: 40,
      msg: expect.stringMatching(
        /maxmemory-policy is "allkeys-lru"; BullMQ needs "noeviction".*CONFIG SET maxmemory-policy noeviction/,
      ),
    });
    // A warning, not a refusal: the process keeps serving.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 30_000,
      what: 'the API to be ready',
    });
    api.proc.kill('SIGKILL');
    await api.exited;
  });

  it('says nothing when the policy is noeviction, and says it could not check when CONFIG is disabled', async () => {
    const good = await privateRedis(['--maxmemory-policy', 'noeviction']);
    stops.push(good.stop);
    expect(await warningsFor(good.url)).toEqual([]);

    // Managed Redis often disables CONFIG; the check must not crash or stay silent.
    const managed = await privateRedis(['--rename-command', 'CONFIG', '']);
    stops.push(managed.stop);
    expect(await warningsFor(managed.url)).toEqual([
      expect.stringMatching(/Could not read Redis maxmemory-policy.*"noeviction"/),
    ]);
  });
});
