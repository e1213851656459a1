import request from 'supertest';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload, rrwebEvents } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

/** The same JSON value with every object's keys in reverse order, at every depth. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, child]) => [key, reversedKeys(child)]),
  );
}

describe('Idempotency-Key: a retry is the same request whatever the order of its keys', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  const post = (key: string, body: unknown) =>
    request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .set('Idempotency-Key', key)
      .send(body as object);

  it('replays a report sent again with its keys in another order (recording included)', async () => {
    const payload = reportPayload({ events: rrwebEvents(5_000) });
    const key = `reordered-${Date.now()}`;
    const first = await post(key, payload).expect(202);
    const again = reversedKeys(payload);
    expect(JSON.stringify(again)).not.toBe(JSON.stringify(payload));

    const second = await post(key, again).expect(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await h.db.getRepository(Report).countBy({ idempotencyKey: key })).toBe(1);
  });

  it('still refuses the key with another recording: 422, nothing new stored', async () => {
    const events = rrwebEvents(5_000);
    const key = `other-recording-${Date.now()}`;
    const payload = reportPayload({ events });
    await post(key, payload).expect(202);
    const before = await h.db.getRepository(Report).count();
    // One click a millisecond later: the same report otherwise.
    const changed = events.map((e, i) =>
      i === 2 ? { ...e, timestamp: Number(e.timestamp) + 1 } : e,
    );

    const res = await post(key, { ...payload, events: changed });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: { field: 'Idempotency-Key' },
    });
    expect(await h.db.getRepository(Report).count()).toBe(before);
  });

  it('gives one report for 50 concurrent retries, half of them with their keys reordered', async () => {
    const payload = reportPayload({ events: rrwebEvents(3_000) });
    const key = `burst-reordered-${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(key, i % 2 ? reversedKeys(payload) : payload)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(202));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await h.db.getRepository(Report).countBy({ idempotencyKey: key })).toBe(1);
  });
});
