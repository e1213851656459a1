import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { ReportMessage } from '../../src/modules/conversation/entities/report-message.entity';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { WidgetService } from '../../src/modules/widget/widget.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { reproInProcess } from '../support/process';
import { waitForReport } from '../support/reports';

/** The agent's real defaults, so that it asks the reporter questions. */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};
const APP = 'https://app.acme.example';
const OTHER_APP = 'https://app.globex.example';
const EVIL = 'https://evil.example';
const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const MANIFEST = {
  version: '0.1.0-0123456789',
  iife: 'repro.js',
  esm: 'repro.mjs',
  integrity: 'sha384-test',
};

/** The reporter clicked Save on the profile page and the request failed with a 500. */
function failingSave(tag: string): Record<string, unknown>[] {
  const b = new RrwebBuilder(`${APP}/settings/profile`);
  b.t0 = Date.now() - 10_000;
  return b
    .load(0, (x) => [x.el('button', {}, ['Save profile'], 'save')])
    .click(1_000, 'save')
    .request(1_200, 'POST', `${APP}/api/${tag}/profile`, 500)
    .consoleError(1_300, `TypeError: ${tag}.avatar is undefined`).events;
}

/** ~200 KB of gzip (concatenated members) that inflates to 200 MiB. */
function gzipBomb(): Buffer {
  const mebibyte = gzipSync(Buffer.alloc(1024 * 1024, 'a'), { level: 9 });
  return Buffer.concat([gzipSync('{"description":"'), ...Array<Buffer>(200).fill(mebibyte)]);
}

/** Sends a Buffer as its bytes (supertest would JSON-encode it). */
const raw = (body: unknown) => body as string;

interface Created {
  id: string;
  status: string;
  reporterToken: string;
}

describe('the widget API (public key in the path, origins per project)', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let globex: TestProject;
  let widgetDir: string;
  let ownOrigin: string;

  const widget = (project: TestProject, path = '') =>
    `/v1/widget/${project.project.widgetKey}${path}`;
  const send = (project: TestProject, body: unknown, origin = APP) =>
    request(app.url)
      .post(widget(project, '/reports'))
      .set('Origin', origin)
      .set('Idempotency-Key', randomUUID())
      .send(body as object);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    widgetDir = await mkdtemp(join(tmpdir(), 'repro-widget-'));
    await writeFile(join(widgetDir, 'manifest.json'), JSON.stringify(MANIFEST));
    await writeFile(join(widgetDir, 'repro.js'), 'window.Repro={init(){}};');
    await writeFile(join(widgetDir, 'repro.mjs'), 'export function init(){}');
    h = await createHarness({ ...AGENT_DEFAULTS, WIDGET_DIR: widgetDir });
    app = await h.start('all');
    ownOrigin = new URL(h.config.PUBLIC_URL).origin;
    acme = await createProject(h.db, 'Acme');
    globex = await createProject(h.db, 'Globex');
    const projects = new ProjectsService(h.db);
    await projects.updateWidgetSettings(acme.project.slug, { allowedOrigins: [APP] });
    await projects.updateWidgetSettings(globex.project.slug, { allowedOrigins: [OTHER_APP] });
  });
  afterAll(async () => {
    await h.close();
    await rm(widgetDir, { recursive: true, force: true });
  });

  describe('CORS and the origin check', () => {
    it('answers a preflight from an allowed origin with 204 and the CORS headers', async () => {
      const res = await request(app.url)
        .options(widget(acme, '/reports'))
        .set('Origin', APP)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,idempotency-key,content-encoding')
        .expect(204);
      expect(res.headers).toMatchObject({
        'access-control-allow-origin': APP,
        'access-control-allow-methods': 'GET, POST, PUT',
        'access-control-allow-headers':
          'Content-Type, Content-Encoding, Idempotency-Key, Authorization',
        'access-control-max-age': '600',
      });
      expect(res.headers.vary).toMatch(/Origin/);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      // Repro's own origin (its demo page) is always allowed.
      const own = await request(app.url)
        .options(widget(acme, '/reports'))
        .set('Origin', ownOrigin)
        .set('Access-Control-Request-Method', 'POST')
        .expect(204);
      expect(own.headers['access-control-allow-origin']).toBe(ownOrigin);
    });

    it("refuses a preflight from another origin, or from another project's origin, with 403 and no ACAO", async () => {
      for (const origin of [EVIL, OTHER_APP, `${APP}.evil.example`]) {
        const res = await request(app.url)
          .options(widget(acme, '/reports'))
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST')
          .expect(403);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
      }
    });

    it('refuses a report with no Origin or a wrong one (403), and an unknown key (401)', async () => {
      const noOrigin = await request(app.url)
        .post(widget(acme, '/reports'))
        .send(reportPayload())
        .expect(403);
      expect(noOrigin.body.error).toMatchObject({
        code: 'ORIGIN_NOT_ALLOWED',
        details: { field: 'Origin' },
      });
      const wrong = await send(acme, reportPayload(), EVIL).expect(403);
      expect(wrong.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(wrong.headers['access-control-allow-origin']).toBeUndefined();
      // Globex's page cannot use Acme's key.
      await send(acme, reportPayload(), OTHER_APP).expect(403);
      for (const key of ['pk_unknownunknownunknown', 'nonsense', acme.apiKey]) {
        const res = await request(app.url)
          .post(`/v1/widget/${encodeURIComponent(key)}/reports`)
          .set('Origin', APP)
          .send(reportPayload())
          .expect(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      }
      expect(await h.db.getRepository(Report).countBy({ projectId: acme.project.id })).toBe(0);
    });
  });

  it("shows the widget's key and allowed origins on GET /v1/projects/current (secret API key)", async () => {
    const res = await request(app.url).get('/v1/projects/current').set(acme.auth).expect(200);
    expect(res.body).toMatchObject({
      widgetKey: acme.project.widgetKey,
      widgetAllowedOrigins: [APP],
    });
    const other = await request(app.url).get('/v1/projects/current').set(globex.auth).expect(200);
    expect(other.body.widgetAllowedOrigins).toEqual([OTHER_APP]);
  });

  describe('every answer to an allowed origin is readable by its page', () => {
    it('carries the CORS headers on refusals made before the body is parsed or the route is found', async () => {
      const small = await h.start('api', { REPORT_BODY_LIMIT_BYTES: 2048 });
      const post = (path: string, url = app.url) =>
        request(url).post(widget(acme, path)).set('Origin', APP);
      const answers = {
        'text/plain': await post('/reports')
          .set('Content-Type', 'text/plain')
          .send('the export button does nothing'),
        'form on the chunk route': await post(`/recordings/widget-${randomUUID()}/chunks?seq=0`)
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .send('a=1'),
        'unsupported encoding': await post('/reports')
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', 'compress')
          .send('{}'),
        'malformed JSON': await post('/reports')
          .set('Content-Type', 'application/json')
          .send('{"description": '),
        'corrupt gzip': await post('/reports')
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', 'gzip')
          .serialize(raw)
          .send(Buffer.from('not gzip at all')),
        'too large': await post('/reports', small.url)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ description: 'x'.repeat(4096) })),
        'unknown sub-route': await post('/nothing-here').send({}),
        'wrong method': await request(app.url).delete(widget(acme, '/reports')).set('Origin', APP),
      };
      await small.close();
      const seen = Object.entries(answers).map(
        ([name, res]) =>
          `${name}: ${res.status} ${res.body.error?.code} ${res.headers['access-control-allow-origin']}`,
      );
      expect(seen).toEqual([
        `text/plain: 415 UNSUPPORTED_MEDIA_TYPE ${APP}`,
        `form on the chunk route: 415 UNSUPPORTED_MEDIA_TYPE ${APP}`,
        `unsupported encoding: 415 UNSUPPORTED_MEDIA_TYPE ${APP}`,
        `malformed JSON: 400 MALFORMED_JSON ${APP}`,
        `corrupt gzip: 400 MALFORMED_JSON ${APP}`,
        `too large: 413 PAYLOAD_TOO_LARGE ${APP}`,
        `unknown sub-route: 404 NOT_FOUND ${APP}`,
        `wrong method: 404 NOT_FOUND ${APP}`,
      ]);
      expect(answers['text/plain'].body.error.details).toMatchObject({ field: 'Content-Type' });
      // Nothing was stored from any of them.
      expect(
        await h.db.getRepository(Report).countBy({ description: 'the export button does nothing' }),
      ).toBe(0);
    });

    it('still refuses a body that is not JSON on the secret API before reading it (415, no CORS)', async () => {
      const res = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .set('Origin', APP)
        .set('Content-Type', 'text/plain')
        .send('not json')
        .expect(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('reports', () => {
    it('stores a report from an allowed origin as source widget (202, readable cross-origin), and the worker triages it', async () => {
      const res = await send(acme, {
        ...reportPayload({
          description:
            'Saving my profile fails with an error\n\nSteps: open Settings > Profile, choose a new avatar, press Save profile.\nExpected: the avatar is saved.\nActual: "Something went wrong" and the old avatar stays. It happens every time since this morning and blocks our renewals.',
          page: { url: `${APP}/settings/profile` },
          client: { userAgent: CHROME },
        }),
        events: failingSave('full'),
      }).expect(202);
      const created = res.body as Created;
      expect(created).toEqual({
        id: expect.any(String),
        status: 'received',
        reporterToken: expect.stringMatching(/^rpt_/),
      });
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-expose-headers']).toBe('Retry-After, Idempotent-Replayed');
      const stored = await h.db.getRepository(Report).findOneByOrFail({ id: created.id });
      expect(stored).toMatchObject({ source: 'widget', projectId: acme.project.id });
      const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
      expect(filed.source).toBe('widget');
      expect(filed.recording?.events).toBeGreaterThan(0);
    });

    it('answers a retry with the same Idempotency-Key with the same report', async () => {
      const key = randomUUID();
      const body = reportPayload();
      const post = () =>
        request(app.url)
          .post(widget(acme, '/reports'))
          .set('Origin', APP)
          .set('Idempotency-Key', key)
          .send(body)
          .expect(202);
      const first = await post();
      const again = await post();
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await h.db.getRepository(Report).countBy({ idempotencyKey: key })).toBe(1);
    });

    it('takes a gzip body, refuses a gzip bomb with 413 (readable cross-origin), and names a bad field', async () => {
      const body = reportPayload({
        description: 'gzip from the widget: the export button does nothing',
      });
      const res = await request(app.url)
        .post(widget(acme, '/reports'))
        .set('Origin', APP)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize(raw)
        .send(gzipSync(JSON.stringify(body)))
        .expect(202);
      const stored = await h.db.getRepository(Report).findOneByOrFail({ id: res.body.id });
      expect(stored.description).toBe(body.description);

      const bomb = await request(app.url)
        .post(widget(acme, '/reports'))
        .set('Origin', APP)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize(raw)
        .send(gzipBomb())
        .ok(() => true);
      expect(bomb.status).toBe(413);
      expect(bomb.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(bomb.headers['access-control-allow-origin']).toBe(APP);

      const invalid = await send(acme, { ...reportPayload(), page: { url: 42 } }).expect(400);
      expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(invalid.body.error.details)).toContain('page.url');
      expect(invalid.headers['access-control-allow-origin']).toBe(APP);
    });

    it("streams a recording's chunks through the widget key and links them to the report", async () => {
      const sessionId = `widget-${randomUUID()}`;
      const events = failingSave('chunks');
      const chunk = await request(app.url)
        .post(widget(acme, `/recordings/${sessionId}/chunks?seq=0`))
        .set('Origin', APP)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize(raw)
        .send(gzipSync(JSON.stringify(events)))
        .expect(201);
      expect(chunk.headers['access-control-allow-origin']).toBe(APP);
      // The same checks as the API's chunk route.
      const bad = await request(app.url)
        .post(widget(acme, `/recordings/${sessionId}/chunks?seq=x`))
        .set('Origin', APP)
        .send(events)
        .expect(400);
      expect(bad.body.error.details.fields[0].field).toBe('seq');
      await request(app.url)
        .post(widget(acme, `/recordings/${sessionId}/chunks?seq=1`))
        .set('Origin', EVIL)
        .send(events)
        .expect(403);
      const res = await send(acme, reportPayload({ sessionId })).expect(202);
      const view = await waitFor(
        async () => {
          const v = await request(app.url).get(`/v1/reports/${res.body.id}`).set(acme.auth);
          return v.body.recording?.events ? v.body : undefined;
        },
        { what: 'the streamed recording to be linked' },
      );
      expect(view.recording.events).toBe(events.length);
    });
  });

  describe("the reporter's conversation", () => {
    it('lets the reporter read the questions and answer them with the token from the 202; the report is then filed', async () => {
      // No recording of the failure: what happens and how are for the reporter to say.
      const res = await send(acme, {
        ...reportPayload({
          description: 'profile is broken',
          page: { url: `${APP}/settings/profile` },
          client: { userAgent: CHROME },
          reporter: { email: 'ana@acme.example', name: 'Ana Lima' },
        }),
      }).expect(202);
      const created = res.body as Created;
      const read = () =>
        request(app.url)
          .get(widget(acme, `/reports/${created.id}`))
          .set('Origin', APP)
          .set(bearer(created.reporterToken));
      const asked = await waitFor(
        async () => {
          const view = await read().expect(200);
          return view.body.awaitingReply ? view : undefined;
        },
        { what: 'the agent to ask' },
      );
      expect(asked.headers['access-control-allow-origin']).toBe(APP);
      expect(asked.body).toMatchObject({
        id: created.id,
        status: 'clarifying',
        awaitingReply: true,
        filed: false,
        ticket: null,
      });
      expect(asked.body.messages).toHaveLength(1);
      expect(asked.body.messages[0]).toMatchObject({ author: 'agent' });
      expect(asked.body.messages[0].questions.length).toBeGreaterThan(0);

      const answer = await request(app.url)
        .post(widget(acme, `/reports/${created.id}/messages`))
        .set('Origin', APP)
        .set(bearer(created.reporterToken))
        .send({
          body: 'I choose a new avatar and press Save profile, and nothing happens. I expected my new avatar to be saved and shown on my profile. It happens every time.',
        })
        .expect(201);
      expect(answer.body).toMatchObject({
        status: 'clarifying',
        message: { author: 'reporter' },
      });
      const stored = await h.db
        .getRepository(ReportMessage)
        .findOneByOrFail({ id: answer.body.message.id });
      expect(stored.channel).toBe('widget');

      await waitForReport(app.url, acme.auth, created.id, 'filed');
      const filed = await read().expect(200);
      expect(filed.body).toMatchObject({
        status: 'filed',
        filed: true,
        awaitingReply: false,
        ticket: null,
      });
      expect(filed.body.messages.map((m: { author: string }) => m.author)).toEqual([
        'agent',
        'reporter',
      ]);

      // The ticket key only once the project allows showing it.
      await new ProjectsService(h.db).updateWidgetSettings(acme.project.slug, {
        showTicketKey: true,
      });
      const shown = await read().expect(200);
      expect(shown.body.ticket).toEqual({ key: expect.any(String), url: expect.any(String) });
      await new ProjectsService(h.db).updateWidgetSettings(acme.project.slug, {
        showTicketKey: false,
      });

      // A closed conversation says so.
      const late = await request(app.url)
        .post(widget(acme, `/reports/${created.id}/messages`))
        .set('Origin', APP)
        .set(bearer(created.reporterToken))
        .send({ body: 'one more thing' })
        .expect(409);
      expect(late.body.error.code).toBe('CONVERSATION_CLOSED');
    });

    it("refuses another report's token, another project's key, the API key and a report not from the widget", async () => {
      const a = (await send(acme, reportPayload()).expect(202)).body as Created;
      const b = (await send(acme, reportPayload()).expect(202)).body as Created;
      const g = (await send(globex, reportPayload(), OTHER_APP).expect(202)).body as Created;
      const viaApi = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .send(reportPayload())
        .expect(202);

      const attempts: [string, string, Record<string, string>, string][] = [
        ['B with A token', widget(acme, `/reports/${b.id}`), bearer(a.reporterToken), APP],
        ['A with no token', widget(acme, `/reports/${a.id}`), {}, APP],
        ['A with the API key', widget(acme, `/reports/${a.id}`), acme.auth, APP],
        [
          'A with the widget key',
          widget(acme, `/reports/${a.id}`),
          bearer(acme.project.widgetKey),
          APP,
        ],
        [
          "A through Globex's key",
          widget(globex, `/reports/${a.id}`),
          bearer(a.reporterToken),
          OTHER_APP,
        ],
        ["G through Acme's key", widget(acme, `/reports/${g.id}`), bearer(g.reporterToken), APP],
        [
          'an API report',
          widget(acme, `/reports/${viaApi.body.id}`),
          bearer(viaApi.body.reporterToken),
          APP,
        ],
      ];
      const answers: string[] = [];
      for (const [name, path, auth, origin] of attempts) {
        const read = await request(app.url).get(path).set('Origin', origin).set(auth);
        const write = await request(app.url)
          .post(`${path}/messages`)
          .set('Origin', origin)
          .set(auth)
          .send({ body: 'hello' });
        answers.push(
          `${name}: ${read.status} ${read.body.error?.code} / ${write.status} ${write.body.error?.code}`,
        );
      }
      expect(answers).toEqual(
        attempts.map(([name]) => `${name}: 401 UNAUTHORIZED / 401 UNAUTHORIZED`),
      );
      // Its own token reads its own report.
      await request(app.url)
        .get(widget(acme, `/reports/${a.id}`))
        .set('Origin', APP)
        .set(bearer(a.reporterToken))
        .expect(200);
    });

    it('refuses the widget key as a credential on the secret API', async () => {
      const a = (await send(acme, reportPayload()).expect(202)).body as Created;
      const pk = bearer(acme.project.widgetKey);
      const calls = [
        request(app.url).post('/v1/reports').set(pk).send(reportPayload()),
        request(app.url).get(`/v1/reports/${a.id}`).set(pk),
        request(app.url).get('/v1/projects/current').set(pk),
        request(app.url).get(`/v1/reports/${a.id}/messages`).set(pk),
        request(app.url).post(`/v1/reports/${a.id}/messages`).set(pk).send({ body: 'x' }),
        request(app.url).get('/v1/tickets').set(pk),
        request(app.url)
          .post(`/v1/recordings/widget-${randomUUID()}/chunks?seq=0`)
          .set(pk)
          .send([]),
      ];
      const statuses = (await Promise.all(calls)).map((r) => `${r.status} ${r.body.error?.code}`);
      expect(statuses).toEqual(calls.map(() => '401 UNAUTHORIZED'));
    });
  });

  describe('rate limits', () => {
    it("answers 429 with Retry-After, readable cross-origin, past the key's limit", async () => {
      const limited = await h.start('api', { RATE_LIMIT_PER_WIDGET_KEY_PER_MINUTE: 2 });
      const initech = await createProject(h.db, 'Initech');
      await new ProjectsService(h.db).updateWidgetSettings(initech.project.slug, {
        allowedOrigins: [APP],
      });
      const post = () =>
        request(limited.url)
          .post(widget(initech, '/reports'))
          .set('Origin', APP)
          .send(reportPayload());
      await post().expect(202);
      await post().expect(202);
      const refused = await post().expect(429);
      expect(refused.body.error).toMatchObject({
        code: 'RATE_LIMITED',
        details: { limit: 'widgetKey' },
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['access-control-allow-origin']).toBe(APP);
      expect(refused.headers['access-control-expose-headers']).toContain('Retry-After');
      // Another project's key is not affected.
      const hooli = await createProject(h.db, 'Hooli');
      await new ProjectsService(h.db).updateWidgetSettings(hooli.project.slug, {
        allowedOrigins: [APP],
      });
      await request(limited.url)
        .post(widget(hooli, '/reports'))
        .set('Origin', APP)
        .send(reportPayload())
        .expect(202);
      await limited.close();
    });

    it('never blocks an address for unknown widget keys (a stale snippet behind one NAT): the widget and the API still work from it', async () => {
      const limited = await h.start('api', {
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 3,
        TRUST_PROXY: true,
      });
      const office = (test: request.Test) => test.set('X-Forwarded-For', '198.51.100.7');
      const stale = 'pk_rotatedRotatedRotated';
      const answers: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await office(
          request(limited.url)
            .post(`/v1/widget/${stale}/reports`)
            .set('Origin', APP)
            .send(reportPayload()),
        );
        answers.push(`${res.status} ${res.body.error?.code} ${res.body.error?.details?.field}`);
        // Readable by the page, so the widget says why and stops retrying.
        expect(res.headers['access-control-allow-origin']).toBe(APP);
      }
      expect(answers).toEqual(answers.map(() => '401 UNAUTHORIZED key'));
      const preflight = await office(
        request(limited.url)
          .options(`/v1/widget/${stale}/reports`)
          .set('Origin', APP)
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'content-type'),
      ).expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(APP);
      await office(request(limited.url).get('/v1/tickets').set(acme.auth)).expect(200);
      await office(
        request(limited.url)
          .post(widget(acme, '/reports'))
          .set('Origin', APP)
          .send(reportPayload()),
      ).expect(202);
      await limited.close();
    });

    it('counts unknown widget keys against the per-address limit (429 readable by the page)', async () => {
      const limited = await h.start('api', {
        RATE_LIMIT_PER_ADDRESS_PER_MINUTE: 3,
        TRUST_PROXY: true,
      });
      const statuses: number[] = [];
      let last: request.Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await request(limited.url)
          .post(`/v1/widget/pk_${randomUUID().replace(/-/g, '')}/reports`)
          .set('X-Forwarded-For', '198.51.100.8')
          .set('Origin', APP)
          .send(reportPayload());
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect(last?.body.error.details).toMatchObject({ limit: 'address' });
      expect(last?.headers['access-control-allow-origin']).toBe(APP);
      await limited.close();
    });

    it('keeps the widget open to an address blocked for guessing API keys (widget keys are public)', async () => {
      const limited = await h.start('api', {
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 2,
        TRUST_PROXY: true,
      });
      const guesser = (test: request.Test) => test.set('X-Forwarded-For', '198.51.100.9');
      const api: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await guesser(
          request(limited.url).get('/v1/tickets').set('Authorization', `Bearer repro_guess${i}`),
        );
        api.push(res.status);
      }
      expect(api.slice(-1)).toEqual([429]);
      await guesser(request(limited.url).get('/v1/tickets').set(acme.auth)).expect(429);
      await guesser(
        request(limited.url)
          .post(widget(acme, '/reports'))
          .set('Origin', APP)
          .send(reportPayload()),
      ).expect(202);
      await limited.close();
    });

    it('answers 429 past the per-address limit too, with the CORS headers', async () => {
      const limited = await h.start('api', { RATE_LIMIT_PER_ADDRESS_PER_MINUTE: 2 });
      const statuses: number[] = [];
      let last: request.Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await request(limited.url)
          .get(widget(acme, `/reports/${randomUUID()}`))
          .set('Origin', APP)
          .set(bearer('rpt_nope'));
        statuses.push(last.status);
      }
      expect(statuses.slice(-1)).toEqual([429]);
      expect(last?.headers['retry-after']).toBeDefined();
      expect(last?.headers['access-control-allow-origin']).toBe(APP);
      await limited.close();
    });
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE with Retry-After, readable by the page, when the key cannot be looked up', async () => {
    // PostgreSQL refusing connections, as pg reports it (the shared test server stays up).
    const service = app.app.get(WidgetService);
    const lookup = jest
      .spyOn(service, 'projectByKey')
      .mockRejectedValueOnce(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      );
    const res = await send(acme, reportPayload()).expect(503);
    lookup.mockRestore();
    expect(res.body.error).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      details: { dependency: 'postgres' },
    });
    expect(res.headers['retry-after']).toBeDefined();
    // The page can read it (and so retry later rather than report a blocked request).
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  describe('the script', () => {
    it('serves /widget.js for a few minutes and /widget/<version>.js|.mjs for good, from any origin', async () => {
      const latest = await request(app.url).get('/widget.js').set('Origin', EVIL).expect(200);
      expect(latest.headers).toMatchObject({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
      });
      expect(latest.text).toBe('window.Repro={init(){}};');
      const pinned = await request(app.url).get(`/widget/${MANIFEST.version}.js`).expect(200);
      expect(pinned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(pinned.text).toBe(latest.text);
      const esm = await request(app.url).get(`/widget/${MANIFEST.version}.mjs`).expect(200);
      expect(esm.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(esm.text).toBe('export function init(){}');
      for (const path of [
        '/widget/0.0.1-ffffffffff.js',
        '/widget/manifest.json',
        '/widget/..%2Fmanifest.json',
      ]) {
        const missing = await request(app.url).get(path).expect(404);
        expect(missing.body.error.code).toBe('NOT_FOUND');
      }
    });

    it('says to build it when WIDGET_DIR has no manifest (503 WIDGET_NOT_BUILT)', async () => {
      const empty = await mkdtemp(join(tmpdir(), 'repro-widget-empty-'));
      const unbuilt = await h.start('api', { WIDGET_DIR: empty });
      const res = await request(unbuilt.url).get('/widget.js').expect(503);
      expect(res.body.error.code).toBe('WIDGET_NOT_BUILT');
      expect(res.body.error.message).toContain('npm run build');
      await request(unbuilt.url).get(`/widget/${MANIFEST.version}.js`).expect(503);
      await unbuilt.close();
      await rm(empty, { recursive: true, force: true });
    });
  });

  describe('repro widget', () => {
    it('--rotate-key issues a new key and prints its snippet; the old key is refused from then on', async () => {
      const initech = await createProject(h.db, 'Rotating');
      await new ProjectsService(h.db).updateWidgetSettings(initech.project.slug, {
        allowedOrigins: [APP],
      });
      const oldKey = initech.project.widgetKey;
      const post = (key: string) =>
        request(app.url).post(`/v1/widget/${key}/reports`).set('Origin', APP).send(reportPayload());
      await post(oldKey).expect(202);
      const env = { ...h.env, PUBLIC_URL: 'https://repro.acme.example' };
      const rotated = await reproInProcess(
        ['widget', '--project', initech.project.slug, '--rotate-key'],
        env,
      );
      expect(rotated.code).toBe(0);
      const newKey = /Widget key: (pk_\S+)/.exec(rotated.stdout)?.[1];
      expect(newKey).toMatch(/^pk_/);
      expect(newKey).not.toBe(oldKey);
      expect(rotated.stdout).toContain(`${oldKey} is refused from now on`);
      expect(rotated.stdout).toContain(
        `<script src="https://repro.acme.example/widget.js" data-repro-key="${newKey}" async></script>`,
      );
      expect(rotated.stderr).toContain('deploy the snippet');
      // The settings are kept; the old key is refused (readably), the new one works.
      expect(rotated.stdout).toContain(`Allowed origins: ${APP}`);
      const refused = await post(oldKey).expect(401);
      expect(refused.body.error).toMatchObject({ code: 'UNAUTHORIZED', details: { field: 'key' } });
      const accepted = await post(newKey!).expect(202);
      const stored = await h.db.getRepository(Report).findOneByOrFail({ id: accepted.body.id });
      expect(stored.projectId).toBe(initech.project.id);
      // Shown again without --rotate-key, the key stays the new one.
      const shown = await reproInProcess(['widget', '--project', initech.project.slug], env);
      expect(shown.stdout).toContain(`Widget key: ${newKey}\n`);
    });

    it('sets the allowed origins and the ticket-key setting, and prints the key and the snippet', async () => {
      const env = { ...h.env, PUBLIC_URL: 'https://repro.acme.example' };
      const set = await reproInProcess(
        [
          'widget',
          '--project',
          globex.project.slug,
          '--allowed-origins',
          'https://a.globex.example, https://b.globex.example:8443/',
          '--show-ticket-key',
          'yes',
        ],
        env,
      );
      expect(set.code).toBe(0);
      expect(set.stdout).toContain(`Widget key: ${globex.project.widgetKey}`);
      expect(set.stdout).toContain(
        'Allowed origins: https://a.globex.example, https://b.globex.example:8443',
      );
      expect(set.stdout).toContain('Show ticket key: yes');
      expect(set.stdout).toContain(
        `<script src="https://repro.acme.example/widget.js" data-repro-key="${globex.project.widgetKey}" async></script>`,
      );
      // The new origins take effect: the old one is refused, a new one allowed.
      await request(app.url)
        .options(widget(globex, '/reports'))
        .set('Origin', 'https://a.globex.example')
        .set('Access-Control-Request-Method', 'POST')
        .expect(204);
      await send(globex, reportPayload(), OTHER_APP).expect(403);

      const shown = await reproInProcess(['widget', '--project', globex.project.slug], env);
      expect(shown.stdout).toContain('Show ticket key: yes');
      expect(shown.stdout).toContain('https://b.globex.example:8443');

      const bad = await reproInProcess(
        [
          'widget',
          '--project',
          globex.project.slug,
          '--allowed-origins',
          'https://ok.example,app.example.com/x',
        ],
        env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--allowed-origins');
      expect(bad.stderr).toContain('app.example.com/x');

      const cleared = await reproInProcess(
        [
          'widget',
          '--project',
          globex.project.slug,
          '--allowed-origins',
          'none',
          '--show-ticket-key',
          'no',
        ],
        env,
      );
      expect(cleared.stdout).toContain('Allowed origins: none');
      expect(cleared.stderr).toContain('No origins allowed yet');
      await new ProjectsService(h.db).updateWidgetSettings(globex.project.slug, {
        allowedOrigins: [OTHER_APP],
      });
    });
  });
});
