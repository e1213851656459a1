import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { gzipSync } from 'node:zlib';
import { RecordingChunk } from '../../src/modules/recordings/entities/recording-chunk.entity';
import { RecordingSession } from '../../src/modules/recordings/entities/recording-session.entity';
import { Recording } from '../../src/modules/recordings/entities/recording.entity';
import { RecordingsService } from '../../src/modules/recordings/recordings.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

const LIMITS = {
  RECORDING_MAX_COMPRESSED_BYTES: 64 * 1024,
  RECORDING_MAX_INFLATED_BYTES: 1024 * 1024,
};

/** A session's events split into `parts` chunks. */
function sessionEvents() {
  const b = new RrwebBuilder().load(0, (x) => [
    x.el('button', {}, ['Save changes'], 'save'),
    x.el('div', {}, [], 'out'),
  ]);
  for (let i = 0; i < 12; i++)
    b.click(1_000 + i * 2_000, 'save').render(1_100 + i * 2_000, 'out', `saved ${i}`);
  return b.events;
}

function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size));
}

const sessionId = () => `sess_${randomBytes(6).toString('hex')}`;

describe('recording chunks', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api', LIMITS);
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  const upload = (
    id: string,
    seq: number | string,
    body: Buffer,
    gzip = false,
    auth = acme.auth,
  ) => {
    const req = request(app.url)
      .post(`/v1/recordings/${id}/chunks`)
      .query({ seq })
      .set(auth)
      .set('Content-Type', 'application/json');
    if (gzip) req.set('Content-Encoding', 'gzip');
    // Raw bytes: supertest would otherwise JSON-encode a Buffer.
    return req.serialize(() => body as unknown as string).send(body);
  };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  /** Every event of a session, read back the way the analyzer reads it. */
  async function readBack(id: string, projectId = acme.project.id) {
    const service = app.app.get(RecordingsService);
    const events: unknown[] = [];
    for await (const batch of service.eventBatches(projectId, id)) events.push(...batch);
    return events;
  }

  it('assembles chunks in sequence order whatever order they arrive in, plain or gzip', async () => {
    const id = sessionId();
    const events = sessionEvents();
    const chunks = split(events, 4);
    for (const seq of [2, 0, 3, 1]) {
      const res = await upload(
        id,
        seq,
        seq % 2 ? gzipSync(json(chunks[seq])) : json(chunks[seq]),
        seq % 2 === 1,
      ).expect(201);
      expect(res.body).toMatchObject({
        sessionId: id,
        seq,
        events: chunks[seq].length,
        duplicate: false,
      });
    }
    expect(await readBack(id)).toEqual(events);
    const session = await h.db.getRepository(RecordingSession).findOneByOrFail({ sessionId: id });
    expect(session.chunkCount).toBe(4);
  });

  it('stores a retried chunk once, and refuses the same seq with other content', async () => {
    const id = sessionId();
    const [first, second] = split(sessionEvents(), 2);
    await upload(id, 0, json(first)).expect(201);
    const retry = await upload(id, 0, gzipSync(json(first)), true).expect(200);
    expect(retry.body.duplicate).toBe(true);
    const conflict = await upload(id, 0, json(second)).expect(409);
    expect(conflict.body.error).toMatchObject({
      code: 'CHUNK_CONFLICT',
      details: { field: 'seq' },
    });
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId: id })).toBe(1);
    expect(await readBack(id)).toEqual(first);
  });

  it('handles 10 concurrent uploads of the same chunk as one', async () => {
    const id = sessionId();
    const body = json(sessionEvents());
    const results = await Promise.all(Array.from({ length: 10 }, () => upload(id, 0, body)));
    expect(results.map((r) => r.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId: id })).toBe(1);
    const session = await h.db.getRepository(RecordingSession).findOneByOrFail({ sessionId: id });
    expect(Number(session.inflatedBytes)).toBe(body.length);
  });

  it('refuses a recording over its compressed limit with 413 and the reason, and every later chunk', async () => {
    const id = sessionId();
    const incompressible = randomBytes(40 * 1024).toString('base64');
    const big = json([{ type: 5, data: { tag: 'x', payload: incompressible }, timestamp: 1 }]);
    await upload(id, 0, big).expect(201);
    const over = await upload(id, 1, big).expect(413);
    expect(over.body.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: {
        field: 'body',
        limit: 'compressed',
        limitBytes: LIMITS.RECORDING_MAX_COMPRESSED_BYTES,
      },
    });
    expect(over.body.error.message).toContain('over the compressed size limit');
    const later = await upload(
      id,
      2,
      json([{ type: 4, data: { href: 'https://x', width: 1, height: 1 }, timestamp: 2 }]),
    ).expect(413);
    expect(later.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId: id })).toBe(1);
  });

  it('refuses a gzip bomb as soon as it inflates past the limit', async () => {
    const id = sessionId();
    const filler = 'a'.repeat(50 * 1024 * 1024);
    const bomb = gzipSync(
      Buffer.from(`[{"type":5,"data":{"tag":"x","payload":"${filler}"},"timestamp":1}]`),
    );
    expect(bomb.length).toBeLessThan(LIMITS.RECORDING_MAX_COMPRESSED_BYTES);
    const before = process.memoryUsage().rss;
    const res = await upload(id, 0, bomb, true).expect(413);
    expect(res.body.error.details).toMatchObject({
      limit: 'inflated',
      limitBytes: LIMITS.RECORDING_MAX_INFLATED_BYTES,
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId: id })).toBe(0);
  });

  it('answers 400 for a body that is not an array of events, and for a bad seq or session id', async () => {
    const id = sessionId();
    const notEvents = await upload(id, 0, json([{ hello: 'world' }])).expect(400);
    expect(notEvents.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'body' }] },
    });
    await upload(id, 0, Buffer.from('[{"type":4,')).expect(400);
    const seq = await upload(id, 'first', json([])).expect(400);
    expect(seq.body.error.details.fields[0].field).toBe('seq');
    const bad = await upload('no', 0, json([])).expect(400);
    expect(bad.body.error.details.fields[0].field).toBe('sessionId');
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId: id })).toBe(0);
  });

  it('needs an API key, and keeps projects apart', async () => {
    const id = sessionId();
    await request(app.url)
      .post(`/v1/recordings/${id}/chunks?seq=0`)
      .set('Content-Type', 'application/json')
      .send('[]')
      .expect(401);
    const other = await createProject(h.db, 'Globex');
    const events = sessionEvents();
    await upload(id, 0, json(events.slice(0, 3))).expect(201);
    await upload(id, 0, json(events.slice(3, 6)), false, other.auth).expect(201);
    expect(await readBack(id)).toEqual(events.slice(0, 3));
    expect(await readBack(id, other.project.id)).toEqual(events.slice(3, 6));
  });

  it('links chunks to the report that names the session, whether they come before or after it', async () => {
    const before = sessionId();
    await upload(before, 0, json(sessionEvents())).expect(201);
    const a = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sessionId: before }))
      .expect(202);
    const viewA = await request(app.url).get(`/v1/reports/${a.body.id}`).set(acme.auth).expect(200);
    expect(viewA.body.recording).toMatchObject({ status: 'stored', reason: null });

    const after = sessionId();
    const b = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sessionId: after }))
      .expect(202);
    expect(
      (await request(app.url).get(`/v1/reports/${b.body.id}`).set(acme.auth)).body.recording.status,
    ).toBe('pending');
    await upload(after, 0, json(sessionEvents())).expect(201);
    expect(
      (await request(app.url).get(`/v1/reports/${b.body.id}`).set(acme.auth)).body.recording.status,
    ).toBe('stored');
  });

  it('accepts the report when its recording is refused, and says so', async () => {
    const id = sessionId();
    const incompressible = randomBytes(80 * 1024).toString('base64');
    const big = json([{ type: 5, data: { tag: 'x', payload: incompressible }, timestamp: 1 }]);
    await upload(id, 0, big).expect(413);
    const res = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sessionId: id }))
      .expect(202);
    const view = await request(app.url)
      .get(`/v1/reports/${res.body.id}`)
      .set(acme.auth)
      .expect(200);
    expect(view.body.recording).toMatchObject({
      status: 'refused',
      reason: expect.stringContaining('compressed size limit'),
    });
    expect(await h.db.getRepository(Report).countBy({ id: res.body.id })).toBe(1);

    // Inline events over the limit: the same.
    const inline = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(
        reportPayload({
          events: [{ type: 5, data: { tag: 'x', payload: incompressible }, timestamp: 1 }],
        }),
      )
      .expect(202);
    const inlineView = await request(app.url)
      .get(`/v1/reports/${inline.body.id}`)
      .set(acme.auth)
      .expect(200);
    expect(inlineView.body.recording.status).toBe('refused');
    expect(
      await h.db.getRepository(Recording).findOneByOrFail({ reportId: inline.body.id }),
    ).toMatchObject({ status: 'refused' });
  });

  it('refuses a report that sends both inline events and a session id', async () => {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sessionId: sessionId(), events: sessionEvents() }))
      .expect(400);
    expect(res.body.error.details.fields[0].field).toBe('sessionId');
  });
});
