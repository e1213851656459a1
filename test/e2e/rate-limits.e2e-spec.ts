import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { RecordingChunk } from '../../src/modules/recordings/entities/recording-chunk.entity';
import { RecordingSession } from '../../src/modules/recordings/entities/recording-session.entity';
import { generateApiKey } from '../../src/modules/projects/api-key';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

const MiB = 1024 * 1024;
const sessionId = () => `sess_${randomBytes(6).toString('hex')}`;

/** A JSON array of `bytes` (about) of small, valid rrweb events: highly compressible. */
function eventsOfSize(bytes: number): Buffer {
  const event =
    '{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3}]},"timestamp":1700000000000}';
  const count = Math.max(1, Math.floor(bytes / (event.length + 1)));
  return Buffer.from(`[${Array.from({ length: count }, () => event).join(',')}]`);
}

/** A gzip bomb that is valid JSON: `inflated` bytes of events in a few hundred KB. */
function bombOf(inflated: number): Buffer {
  const event =
    '{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3}]},"timestamp":1700000000000},';
  const count = Math.floor(inflated / event.length);
  // The pattern repeated, its last comma cut off, inside brackets.
  const body = Buffer.concat([
    Buffer.from('['),
    Buffer.alloc(count * event.length - 1, event),
    Buffer.from(']'),
  ]);
  return gzipSync(body, { level: 9 });
}

describe('rate limits, quotas, authentication before the body', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  const upload = (
    app: RunningApp,
    project: TestProject,
    id: string,
    seq: number,
    body: Buffer,
    gzip = false,
  ) => {
    const req = request(app.url)
      .post(`/v1/recordings/${id}/chunks`)
      .query({ seq })
      .set(project.auth)
      .set('Content-Type', 'application/json');
    if (gzip) req.set('Content-Encoding', 'gzip');
    return req.serialize(() => body as unknown as string).send(body);
  };

  it('a key past RATE_LIMIT_PER_KEY_PER_MINUTE gets 429 RATE_LIMITED with Retry-After, counted across two API processes', async () => {
    const limits = { RATE_LIMIT_PER_KEY_PER_MINUTE: 6 };
    const one = await h.start('api', limits);
    const two = await h.start('api', limits);
    const acme = await createProject(h.db, 'Busy');
    const other = await createProject(h.db, 'Quiet');

    for (const app of [one, two, one, two, one, two]) {
      const ok = await request(app.url).get('/v1/tickets').set(acme.auth).expect(200);
      expect(Number(ok.headers['ratelimit-limit'])).toBe(6);
    }
    const refused = await request(two.url).get('/v1/tickets').set(acme.auth).expect(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(refused.body.error.details).toMatchObject({ limit: 'key' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    await request(one.url).get('/v1/tickets').set(acme.auth).expect(429);
    // Another key is not affected.
    await request(one.url).get('/v1/tickets').set(other.auth).expect(200);
    await one.close();
    await two.close();
  });

  it('wrong keys from one address get 429 after RATE_LIMIT_AUTH_FAILURES_PER_MINUTE, even a right key then; another address is not affected', async () => {
    const app = await h.start('api', { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 5, TRUST_PROXY: true });
    const acme = await createProject(h.db, 'Guessed');
    const attacker = '203.0.113.7';
    const from = (address: string) => (test: request.Test) => test.set('X-Forwarded-For', address);

    for (let i = 0; i < 5; i++) {
      await from(attacker)(request(app.url).get('/v1/tickets'))
        .set('Authorization', `Bearer ${generateApiKey().key}`)
        .expect(401);
    }
    const blocked = await from(attacker)(request(app.url).get('/v1/tickets'))
      .set('Authorization', `Bearer ${generateApiKey().key}`)
      .expect(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    expect(blocked.body.error.details).toMatchObject({ limit: 'authFailures' });
    // Blocked for a quarter of an hour, not the rest of a minute.
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(60);
    await from(attacker)(request(app.url).get('/v1/tickets')).set(acme.auth).expect(429);

    await from('198.51.100.20')(request(app.url).get('/v1/tickets')).set(acme.auth).expect(200);
    await app.close();
  });

  it('without TRUST_PROXY, X-Forwarded-For does not change the address that is counted', async () => {
    const app = await h.start('api', { RATE_LIMIT_PER_ADDRESS_PER_MINUTE: 3 });
    // The tests before counted this address too.
    const counted = await h.redis.keys(`${h.config.QUEUE_PREFIX}:limits:address:*`);
    if (counted.length) await h.redis.del(...counted);
    for (let i = 0; i < 3; i++) {
      await request(app.url).get('/healthz').set('X-Forwarded-For', `192.0.2.${i}`).expect(200);
    }
    const refused = await request(app.url)
      .get('/healthz')
      .set('X-Forwarded-For', '192.0.2.99')
      .expect(429);
    expect(refused.body.error.details).toMatchObject({ limit: 'address' });
    expect(refused.headers['retry-after']).toBeDefined();
    await app.close();
  });

  it('a wrong key with a body is answered 401 while the body is still being sent, without reading it', async () => {
    const app = await h.start('api');
    const url = new URL('/v1/reports', app.url);
    const answer = await new Promise<{ status: number; body: string; connection?: string }>(
      (resolve, reject) => {
        const req = http.request(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': String(50 * MiB),
            Authorization: `Bearer ${generateApiKey().key}`,
          },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (piece: Buffer) => (body += piece.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode!, body, connection: res.headers.connection });
            req.destroy();
          });
        });
        req.on('error', (error) => reject(error));
        // Not JSON, and 64 KB of a promised 50 MB: a server that read it would wait or say 400.
        req.write(Buffer.alloc(64 * 1024, '{'));
        const timer = setTimeout(
          () => reject(new Error('no answer before the body was sent')),
          10_000,
        );
        req.on('close', () => clearTimeout(timer));
      },
    );
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error.code).toBe('UNAUTHORIZED');
    expect(answer.connection).toBe('close');
    await app.close();
  });

  it('a chunk that inflates to 99 MiB is refused with 413 as soon as it passes RECORDING_CHUNK_MAX_INFLATED_BYTES, with nothing stored', async () => {
    const app = await h.start('api');
    const acme = await createProject(h.db, 'Bombed');
    const id = sessionId();
    const bomb = bombOf(99 * MiB);
    expect(bomb.length).toBeLessThan(MiB);

    const res = await upload(app, acme, id, 0, bomb, true).expect(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.body.error.details).toMatchObject({
      field: 'body',
      limit: 'chunk',
      limitBytes: 8 * MiB,
    });
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId: id })).toBe(0);
    // It stopped inflating at the limit: the hour's count holds about 8 MiB, not 99.
    const counted = Number(
      await h.redis.get(`${h.config.QUEUE_PREFIX}:limits:quota-inflated-bytes:${acme.project.id}`),
    );
    expect(counted).toBeGreaterThan(8 * MiB);
    expect(counted).toBeLessThan(10 * MiB);
    // The recording is not refused for it: a normal chunk is taken.
    await upload(app, acme, id, 0, eventsOfSize(10_000)).expect(201);
    const session = await h.db.getRepository(RecordingSession).findOneByOrFail({ sessionId: id });
    expect(session.refusedReason).toBeNull();
    await app.close();
  });

  it('over the hourly chunk and session quotas: 429 QUOTA_EXCEEDED naming the quota, with Retry-After', async () => {
    const app = await h.start('api', {
      RECORDING_QUOTA_CHUNKS_PER_HOUR: 4,
      RECORDING_QUOTA_SESSIONS_PER_HOUR: 2,
    });
    const acme = await createProject(h.db, 'Chatty');
    const [a, b, c] = [sessionId(), sessionId(), sessionId()];
    const events = eventsOfSize(2_000);
    await upload(app, acme, a, 0, events).expect(201);
    await upload(app, acme, b, 0, events).expect(201);
    const third = await upload(app, acme, c, 0, events).expect(429);
    expect(third.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(third.body.error.details).toMatchObject({ quota: 'sessionsPerHour', limit: 2 });
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(60);
    // Sessions already started go on, until the chunks quota.
    await upload(app, acme, a, 1, events).expect(201);
    const fifth = await upload(app, acme, b, 1, events).expect(429);
    expect(fifth.body.error.details).toMatchObject({ quota: 'chunksPerHour', limit: 4 });
    expect(await h.db.getRepository(RecordingChunk).countBy({ projectId: acme.project.id })).toBe(
      3,
    );
    // Another project has its own quota.
    const other = await createProject(h.db, 'Calm');
    await upload(app, other, sessionId(), 0, events).expect(201);
    await app.close();
  });

  it('the inflated-bytes quota holds across session ids: a new session does not start it over', async () => {
    const app = await h.start('api', { RECORDING_QUOTA_INFLATED_BYTES_PER_HOUR: MiB });
    const acme = await createProject(h.db, 'Hoarder');
    const chunk = gzipSync(eventsOfSize(600 * 1024));
    const [a, b, c] = [sessionId(), sessionId(), sessionId()];
    await upload(app, acme, a, 0, chunk, true).expect(201);
    const crossing = await upload(app, acme, b, 0, chunk, true).expect(429);
    expect(crossing.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(crossing.body.error.details).toMatchObject({ quota: 'inflatedBytesPerHour' });
    expect(crossing.headers['retry-after']).toBeDefined();
    const fresh = await upload(app, acme, c, 0, eventsOfSize(1_000)).expect(429);
    expect(fresh.body.error.details).toMatchObject({ quota: 'inflatedBytesPerHour' });
    expect(await h.db.getRepository(RecordingChunk).countBy({ projectId: acme.project.id })).toBe(
      1,
    );
    await app.close();
  });

  it('a revoked key is refused within API_KEY_CACHE_MS in a process that had verified it', async () => {
    const app = await h.start('api', { API_KEY_CACHE_MS: 500 });
    const acme = await createProject(h.db, 'Revoked');
    await request(app.url).get('/v1/tickets').set(acme.auth).expect(200);
    const prefix = acme.apiKey.split('_').slice(0, 2).join('_');
    expect(await new ProjectsService(h.db).revokeApiKey(prefix)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await request(app.url).get('/v1/tickets').set(acme.auth).expect(401);
    await app.close();
  });

  it('with Redis unreachable, requests are still answered and limited per process', async () => {
    const app = await h.start('api', {
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_PER_KEY_PER_MINUTE: 3,
    });
    const acme = await createProject(h.db, 'Offline');
    for (let i = 0; i < 3; i++)
      await request(app.url).get('/v1/tickets').set(acme.auth).expect(200);
    await request(app.url).get('/v1/tickets').set(acme.auth).expect(429);
    await app.close();
  });
});
