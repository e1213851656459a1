/**
 * `npm run bench:limits [-- --runs 5]`
 *
 * What the limits cost and what they save, measured in one run against a private database (on
 * DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432) and the local Redis:
 *
 * - a recording chunk that inflates to 99 MiB (a gzip bomb of a few hundred KB, valid JSON),
 *   refused at RECORDING_CHUNK_MAX_INFLATED_BYTES, against a normal 100 KB chunk (the
 *   baseline): wall time and API CPU per request; before the limit it was accepted after about
 *   2.2 s of CPU;
 * - one request's rate-limit check (per key and per address, one Redis round trip) against a
 *   bare Redis PING, both at concurrency 16: µs per check.
 *
 * The API runs in this process, so CPU figures include the client's share (sending a few
 * hundred KB); the ratios are what matter.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { INestApplication } from '@nestjs/common';
import { adminQuery, databaseUrl, TEST_REDIS_URL } from '../support/databases';
import type { Request, Response } from 'express';
import { createApp } from '../../src/app';
import { RateLimits } from '../../src/common/rate-limit';
import { loadConfig } from '../../src/config/config.schema';
import { createProject } from '../factories/project.factory';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { prepareDatabase } from '../../src/database/prepare-database';

const MiB = 1024 * 1024;
const REDIS_URL = TEST_REDIS_URL;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

const EVENT =
  '{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3}]},"timestamp":1700000000000},';

function eventsOf(bytes: number): Buffer {
  const count = Math.floor(bytes / EVENT.length);
  return Buffer.concat([
    Buffer.from('['),
    Buffer.alloc(count * EVENT.length - 1, EVENT),
    Buffer.from(']'),
  ]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(run: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

async function main(): Promise<void> {
  const name = `repro_bench_limits_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl(name),
    REDIS_URL,
    QUEUE_PREFIX: `bench${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
  });
  await prepareDatabase(config);
  const { app } = await createApp(config, 'api');
  const api = app as INestApplication;
  await api.listen(0, '127.0.0.1');
  const base = (await api.getUrl()).replace('[::1]', '127.0.0.1');
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 2 } });
  await db.initialize();
  try {
    const project = await createProject(db, 'Bench');
    const upload = async (body: Buffer, expected: number) => {
      const session = `bench_${randomBytes(6).toString('hex')}`;
      const res = await fetch(`${base}/v1/recordings/${session}/chunks?seq=0`, {
        method: 'POST',
        headers: {
          ...project.auth,
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== expected) throw new Error(`expected ${expected}, got ${res.status}`);
    };
    const normal = gzipSync(eventsOf(100 * 1024));
    const bomb = gzipSync(eventsOf(99 * MiB), { level: 9 });
    await upload(normal, 201); // warm-up
    const normalRuns: { ms: number; cpuMs: number }[] = [];
    const bombRuns: { ms: number; cpuMs: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      normalRuns.push(await timed(() => upload(normal, 201)));
      bombRuns.push(await timed(() => upload(bomb, 413)));
    }
    const n = {
      ms: median(normalRuns.map((r) => r.ms)),
      cpu: median(normalRuns.map((r) => r.cpuMs)),
    };
    const b = { ms: median(bombRuns.map((r) => r.ms)), cpu: median(bombRuns.map((r) => r.cpuMs)) };
    console.log(
      `chunk                     compressed  inflated   median ms  CPU ms   vs normal\n` +
        `normal 100 KB (201)       ${(normal.length / 1024).toFixed(1).padStart(7)} KB  ${'0.1 MiB'.padStart(8)}  ${n.ms.toFixed(1).padStart(9)}  ${n.cpu.toFixed(1).padStart(7)}  1.0×\n` +
        `99 MiB gzip bomb (413)    ${(bomb.length / 1024).toFixed(1).padStart(7)} KB  ${'99 MiB'.padStart(8)}  ${b.ms.toFixed(1).padStart(9)}  ${b.cpu.toFixed(1).padStart(7)}  ${(b.cpu / n.cpu).toFixed(1)}× CPU (stopped at ${config.RECORDING_CHUNK_MAX_INFLATED_BYTES / MiB} MiB)`,
    );

    // The per-request check against one Redis round trip.
    const limits = api.get(RateLimits);
    const res = { setHeader: () => undefined } as unknown as Response;
    const req = { ip: '10.9.8.7', header: () => undefined, socket: {} } as unknown as Request;
    const CHECKS = 20_000;
    const CONCURRENCY = 16;
    const rate = async (one: () => Promise<unknown>) => {
      let left = CHECKS;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (left-- > 0) await one();
        }),
      );
      return ((performance.now() - start) * 1000) / CHECKS;
    };
    await rate(() => limits.redis.ping());
    const ping = await rate(() => limits.redis.ping());
    const check = await rate(() => limits.forKey('repro_benchkey00', req, res));
    console.log(
      `\nrate-limit check (key + address), concurrency ${CONCURRENCY}: ${check.toFixed(1)} µs per request; ` +
        `Redis PING ${ping.toFixed(1)} µs; ratio ${(check / ping).toFixed(2)}×`,
    );
  } finally {
    const redis = api.get(RateLimits).redis;
    const keys = await redis.keys(`${config.QUEUE_PREFIX}:*`);
    if (keys.length) await redis.del(...keys);
    await db.destroy();
    await api.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
