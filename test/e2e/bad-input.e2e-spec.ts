import { randomUUID } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import type { ErrorBody } from '../../src/common/error-body';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { apiKeyPrefix, generateApiKey } from '../../src/modules/projects/api-key';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

/** Every table a report writes to: a refused request must leave each exactly as it was. */
const TABLES = ['reports', 'reporters', 'accounts', 'recordings', 'pipeline_events'] as const;

type ApiError = ErrorBody['error'];

/** The fields an error blames, each once. */
function blamed(error: ApiError): string[] {
  const fields = (error.details?.fields ?? []) as { field: string }[];
  return [...new Set(fields.map((f) => f.field))];
}

/** Sends bytes as they are: under a JSON Content-Type, superagent would JSON-encode a Buffer. */
function sendBytes(test: request.Test, body: Buffer): request.Test {
  return test.serialize(() => body as unknown as string).send(body);
}

/** A report whose recording nests `depth` arrays inside each other (free-form rrweb data). */
function nestedReport(depth: number): string {
  const data = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  return `{"description":"Deep page","events":[{"type":2,"data":${data},"timestamp":1}]}`;
}

/** A recording of mouse moves, about 100 bytes of JSON per event. */
function mouseMoves(count: number): Record<string, unknown>[] {
  const start = Date.now() - count * 50;
  return Array.from({ length: count }, (_, i) => ({
    type: 3,
    data: { source: 1, positions: [{ x: i % 1440, y: i % 900, id: 7, timeOffset: 0 }] },
    timestamp: start + i * 50,
  }));
}

/**
 * ~200 KB of gzip that inflates to 200 MiB of JSON. Concatenated gzip members (valid gzip), so
 * the test itself never holds the inflated bytes.
 */
function gzipBomb(): Buffer {
  const mebibyte = gzipSync(Buffer.alloc(1024 * 1024, 'a'), { level: 9 });
  return Buffer.concat([gzipSync('{"description":"'), ...Array<Buffer>(200).fill(mebibyte)]);
}

describe('bad input to the reports API is refused with a stable code, and stores nothing', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await h.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = row.n;
    }
    return counts;
  }

  /**
   * Sends the request and checks what every refusal promises: the status, the stable code, the
   * request id of the X-Request-Id header, and not one row written. Returns the error.
   */
  async function expectRefused(
    send: () => PromiseLike<request.Response>,
    status: number,
    code: string,
  ): Promise<ApiError> {
    const before = await rowCounts();
    const res = await send();
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const error = res.body.error as ApiError;
    expect(error.message).toEqual(expect.any(String));
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(error.requestId).toBe(res.headers['x-request-id']);
    expect(await rowCounts()).toEqual(before);
    return error;
  }

  const post = () => request(app.url).post('/v1/reports').set(acme.auth);
  const postJson = () => post().set('Content-Type', 'application/json');

  describe('a body that fails validation: 400 VALIDATION_FAILED naming the field', () => {
    const cases: { name: string; body: () => object; fields: string[] }[] = [
      {
        name: 'missing description',
        // JSON has no undefined: the key is left out.
        body: () => reportPayload({ description: undefined }),
        fields: ['description'],
      },
      {
        name: 'empty description',
        body: () => reportPayload({ description: '' }),
        fields: ['description'],
      },
      {
        name: 'blank description (only whitespace)',
        body: () => reportPayload({ description: ' \n\t ' }),
        fields: ['description'],
      },
      {
        name: 'description is a number',
        body: () => reportPayload({ description: 42 }),
        fields: ['description'],
      },
      {
        name: 'page.url is not a URL',
        body: () => reportPayload({ page: { url: 'settings/billing', title: 'Billing' } }),
        fields: ['page.url'],
      },
      {
        name: 'client.viewport.width is a word',
        body: () => reportPayload({ client: { viewport: { width: 'wide', height: 900 } } }),
        fields: ['client.viewport.width'],
      },
      {
        name: 'events is not an array',
        body: () => reportPayload({ events: { type: 2, timestamp: 1 } }),
        fields: ['events'],
      },
      {
        name: 'unknown top-level field',
        body: () => reportPayload({ foo: 'bar' }),
        fields: ['foo'],
      },
      {
        name: 'unknown nested field',
        body: () => reportPayload({ reporter: { email: 'ana@acme.example', role: 'admin' } }),
        fields: ['reporter.role'],
      },
      {
        name: 'reporter with neither email nor id',
        body: () => reportPayload({ reporter: { name: 'Ana Lima' } }),
        fields: ['reporter'],
      },
      {
        name: 'reporter.email is not an email',
        body: () => reportPayload({ reporter: { email: 'ana at acme' } }),
        fields: ['reporter.email'],
      },
      {
        name: 'a JSON array as the body',
        body: () => [reportPayload()],
        fields: ['body'],
      },
      {
        name: 'a NUL character in the description',
        body: () => reportPayload({ description: 'Export is broken\u0000' }),
        fields: ['description'],
      },
      {
        name: 'a NUL character in reporter.name',
        body: () => reportPayload({ reporter: { email: 'ana@acme.example', name: 'Ana\u0000' } }),
        fields: ['reporter.name'],
      },
      {
        name: 'a lone surrogate in client.locale',
        body: () => reportPayload({ client: { locale: 'pt-\ud800' } }),
        fields: ['client.locale'],
      },
    ];

    it.each(cases)('$name', async ({ body, fields }) => {
      const error = await expectRefused(() => post().send(body()), 400, 'VALIDATION_FAILED');
      expect(blamed(error)).toEqual(fields);
    });

    it.each([
      ['__proto__ at the top', '__proto__', '__proto__'],
      ['constructor in reporter', 'constructor', 'reporter.constructor'],
      ['prototype in page', 'prototype', 'page.prototype'],
    ])('refuses a prototype key (%s) instead of dropping it', async (_, key, field) => {
      const body = reportPayload() as Record<string, Record<string, unknown>>;
      const json =
        field === key
          ? JSON.stringify(body).replace(/^\{/, `{"${key}":{"polluted":true},`)
          : JSON.stringify(body).replace(
              `"${field.split('.')[0]}":{`,
              `"${field.split('.')[0]}":{"${key}":{"polluted":true},`,
            );
      const error = await expectRefused(() => postJson().send(json), 400, 'VALIDATION_FAILED');
      expect(blamed(error)).toEqual([field]);
    });

    it('refuses JSON nested too deep to process, and says where', async () => {
      const error = await expectRefused(
        () => postJson().send(nestedReport(5_000)),
        400,
        'VALIDATION_FAILED',
      );
      const [problem] = error.details?.fields as { field: string; message: string }[];
      expect(problem.field).toMatch(/^events\.0\.data(\.0)+$/);
      expect(problem.message).toMatch(/deeper than \d+ levels/);
    });

    it('still accepts nesting as deep as a real page snapshot', async () => {
      await postJson().send(nestedReport(200)).expect(202);
    });
  });

  it('refuses malformed JSON: 400 MALFORMED_JSON, field body', async () => {
    const error = await expectRefused(
      () => postJson().send('{"description": "Export is broken",'),
      400,
      'MALFORMED_JSON',
    );
    expect(error.details).toMatchObject({ field: 'body' });
  });

  it.each([
    ['with a space', 'retry 1'],
    ['of 256 characters', 'k'.repeat(256)],
  ])('refuses an Idempotency-Key %s: 400, field Idempotency-Key', async (_, key) => {
    const error = await expectRefused(
      () => post().set('Idempotency-Key', key).send(reportPayload()),
      400,
      'VALIDATION_FAILED',
    );
    expect(blamed(error)).toEqual(['Idempotency-Key']);
  });

  describe('size and encoding', () => {
    it('refuses a body over REPORT_BODY_LIMIT_BYTES with 413, and the default limit takes it', async () => {
      const small = await h.start('api', { REPORT_BODY_LIMIT_BYTES: 64 * 1024 });
      const payload = reportPayload({ events: mouseMoves(1_000) });
      expect(JSON.stringify(payload).length).toBeGreaterThan(64 * 1024);
      try {
        const error = await expectRefused(
          () => request(small.url).post('/v1/reports').set(acme.auth).send(payload),
          413,
          'PAYLOAD_TOO_LARGE',
        );
        expect(error.details).toEqual({ field: 'body', limitBytes: 64 * 1024 });
      } finally {
        await small.close();
      }
      await post().send(payload).expect(202);
    });

    it('counts the limit after decompression: a small gzip that inflates past it gets 413', async () => {
      const small = await h.start('api', { REPORT_BODY_LIMIT_BYTES: 64 * 1024 });
      const body = gzipSync(JSON.stringify(reportPayload({ events: mouseMoves(1_000) })));
      expect(body.length).toBeLessThan(64 * 1024);
      try {
        const error = await expectRefused(
          () =>
            sendBytes(
              request(small.url)
                .post('/v1/reports')
                .set(acme.auth)
                .set('Content-Type', 'application/json')
                .set('Content-Encoding', 'gzip'),
              body,
            ),
          413,
          'PAYLOAD_TOO_LARGE',
        );
        expect(error.details).toEqual({ field: 'body', limitBytes: 64 * 1024 });
      } finally {
        await small.close();
      }
    });

    it('refuses a gzip bomb (200 MiB inflated) with 413, without inflating it into memory', async () => {
      const bomb = gzipBomb();
      expect(bomb.length).toBeLessThan(512 * 1024);
      // The API runs in this process: watch its memory while it handles the bomb.
      const baseline = process.memoryUsage.rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
      try {
        const error = await expectRefused(
          () => sendBytes(postJson().set('Content-Encoding', 'gzip'), bomb),
          413,
          'PAYLOAD_TOO_LARGE',
        );
        expect(error.details).toEqual({
          field: 'body',
          limitBytes: h.config.REPORT_BODY_LIMIT_BYTES,
        });
      } finally {
        clearInterval(sampler);
      }
      expect((peak - baseline) / 1024 / 1024).toBeLessThan(100);
    });

    it.each([
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const)(
      'accepts a valid %s-encoded report (202) and stores it decoded',
      async (encoding, compress) => {
        const payload = reportPayload();
        const res = await sendBytes(
          postJson().set('Content-Encoding', encoding),
          compress(JSON.stringify(payload)),
        ).expect(202);
        const stored = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
        expect(stored.description).toBe(payload.description);
      },
    );

    it.each([
      [
        'garbage after a gzip header',
        () => Buffer.concat([gzipSync('{}').subarray(0, 10), Buffer.from('not deflate data')]),
      ],
      [
        'a gzip stream cut off halfway',
        () => {
          const whole = gzipSync(JSON.stringify(reportPayload()));
          return whole.subarray(0, whole.length >> 1);
        },
      ],
    ])('refuses a corrupt gzip body (%s): 400, field body', async (_, body) => {
      const error = await expectRefused(
        () => sendBytes(postJson().set('Content-Encoding', 'gzip'), body()),
        400,
        'MALFORMED_JSON',
      );
      expect(error.details).toMatchObject({ field: 'body' });
    });

    it('refuses an unsupported Content-Encoding: 415, field Content-Encoding', async () => {
      const error = await expectRefused(
        () => postJson().set('Content-Encoding', 'compress').send(JSON.stringify(reportPayload())),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(error.details).toMatchObject({ field: 'Content-Encoding' });
    });
  });

  describe('content type', () => {
    it.each([
      ['text/plain', (t: request.Test) => t.set('Content-Type', 'text/plain').send('Broken')],
      ['multipart/form-data', (t: request.Test) => t.field('description', 'Broken')],
      ['a urlencoded form', (t: request.Test) => t.type('form').send({ description: 'Broken' })],
    ])('refuses %s: 415 UNSUPPORTED_MEDIA_TYPE, field Content-Type', async (_, send) => {
      const error = await expectRefused(() => send(post()), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(error.details).toMatchObject({ field: 'Content-Type' });
    });

    it('refuses JSON in a charset other than UTF-8: 415, field Content-Type', async () => {
      const error = await expectRefused(
        () =>
          post()
            .set('Content-Type', 'application/json; charset=latin1')
            .send(JSON.stringify(reportPayload())),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(error.details).toMatchObject({ field: 'Content-Type' });
    });

    it('reads a +json media type as JSON, since it lets one through', async () => {
      const payload = reportPayload();
      const res = await post()
        .set('Content-Type', 'application/vnd.repro.report+json')
        .send(JSON.stringify(payload))
        .expect(202);
      const stored = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
      expect(stored.description).toBe(payload.description);
    });
  });

  describe('credentials: 401 UNAUTHORIZED on POST and GET, and no hint a report exists', () => {
    let reportId: string;
    let revokedKey: string;
    let tamperedKey: string;

    beforeAll(async () => {
      const created = await post().send(reportPayload()).expect(202);
      reportId = created.body.id;

      const initech = await createProject(h.db, 'Initech');
      await request(app.url)
        .post('/v1/reports')
        .set(initech.auth)
        .send(reportPayload())
        .expect(202);
      const revoked = await new ProjectsService(h.db).revokeApiKey(
        apiKeyPrefix(initech.apiKey) ?? '',
      );
      expect(revoked).toBe(true);
      revokedKey = initech.apiKey;

      const secretEnd = acme.apiKey.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA';
      tamperedKey = `${acme.apiKey.slice(0, -4)}${secretEnd}`;
    });

    it.each<[string, () => string | undefined]>([
      ['no Authorization header', () => undefined],
      ['a well-formed key nobody issued', () => `Bearer ${generateApiKey().key}`],
      ["a real key's prefix with a wrong secret", () => `Bearer ${tamperedKey}`],
      ['a revoked key that worked before', () => `Bearer ${revokedKey}`],
      ['Basic auth with garbage', () => 'Basic !!!not-base64:::'],
      ['Basic auth with the key as user name', () => `Basic ${btoa(acme.apiKey)}`],
      ['a Bearer token that is not a key', () => 'Bearer hunter2'],
      ['the admin token', () => `Bearer ${h.config.ADMIN_TOKEN}`],
    ])('%s', async (_, authorization) => {
      const header = authorization();
      const withHeader = (test: request.Test) =>
        header === undefined ? test : test.set('Authorization', header);

      await expectRefused(
        () => withHeader(request(app.url).post('/v1/reports')).send(reportPayload()),
        401,
        'UNAUTHORIZED',
      );
      // A report that exists answers 401 too, never 404 or 200.
      await expectRefused(
        () => withHeader(request(app.url).get(`/v1/reports/${reportId}`)),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('GET /v1/reports/:id never tells whether a report exists', () => {
    /** The error for an id that was never issued, without its request id. */
    async function unknownIdError(): Promise<ApiError> {
      const error = await expectRefused(
        () => request(app.url).get(`/v1/reports/${randomUUID()}`).set(acme.auth),
        404,
        'NOT_FOUND',
      );
      return { ...error, requestId: '' };
    }

    it("answers another project's report exactly like an unknown id: 404 NOT_FOUND", async () => {
      const globex = await createProject(h.db, 'Globex');
      const theirs = await request(app.url)
        .post('/v1/reports')
        .set(globex.auth)
        .send(reportPayload())
        .expect(202);
      await request(app.url).get(`/v1/reports/${theirs.body.id}`).set(globex.auth).expect(200);

      const error = await expectRefused(
        () => request(app.url).get(`/v1/reports/${theirs.body.id}`).set(acme.auth),
        404,
        'NOT_FOUND',
      );
      expect({ ...error, requestId: '' }).toEqual(await unknownIdError());
    });

    it.each(['not-a-uuid', '12345', `${randomUUID()}0`, '%00'])(
      'answers a malformed id (%s) like an unknown one: 404 NOT_FOUND',
      async (id) => {
        const error = await expectRefused(
          () => request(app.url).get(`/v1/reports/${id}`).set(acme.auth),
          404,
          'NOT_FOUND',
        );
        expect({ ...error, requestId: '' }).toEqual(await unknownIdError());
      },
    );
  });
});

describe('bad input to the tickets API', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['an id that is not a uuid', { createdAt: '2026-01-01T00:00:00.000Z', id: 'x' }],
    ['a time PostgreSQL cannot read', { createdAt: '10000-01-01', id: randomUUID() }],
    ['no time', { id: randomUUID() }],
  ])(
    'a crafted cursor with %s: 400 VALIDATION_FAILED naming cursor, not a 500',
    async (_, value) => {
      const res = await request(app.url)
        .get('/v1/tickets')
        .query({ cursor: cursorOf(value) })
        .set(acme.auth);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { fields: [expect.objectContaining({ field: 'cursor' })] },
      });
    },
  );

  it('a cursor this API returned still pages on', async () => {
    const res = await request(app.url)
      .get('/v1/tickets')
      .query({ cursor: cursorOf({ createdAt: new Date().toISOString(), id: randomUUID() }) })
      .set(acme.auth)
      .expect(200);
    expect(res.body).toEqual({ tickets: [], nextCursor: null });
  });
});
