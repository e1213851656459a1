import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS } from 'node:http';
import request from 'supertest';
import { generateApiKey } from '../../src/modules/projects/api-key';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

/** What the HTTP server serves: `GET /v1/reports/:id` for a route, `USE /admin/queues` for a mount. */
interface Served {
  key: string;
  method: string;
  path: string;
}

/**
 * Reachable without a credential, on purpose, with what each answers. Everything else must
 * answer 401 without one.
 */
const PUBLIC_ROUTES: Record<string, number> = {
  'GET /healthz': 200,
  'GET /readyz': 200,
  'GET /docs': 200,
  'GET /docs/': 200,
  'GET /docs/index.html': 200,
  'GET /docs/swagger-ui-init.js': 200,
  'GET /docs/docs/swagger-ui-init.js': 200,
  // @nestjs/swagger answers 404 here, so that the static mount never serves swagger-ui's file.
  'GET /docs/LICENSE': 404,
  'GET /docs-json': 200,
  'GET /docs-yaml': 200,
  // rrweb-player's own script and stylesheet, for the replay page: library code, no data.
  'GET /replay/assets/rrweb-player.js': 200,
  'GET /replay/assets/rrweb-player.css': 200,
  // The widget's script (a stand-in build, below); under /widget/ only that build's version.
  'GET /widget.js': 200,
  'GET /widget/:file': 404,
  // The demo app (DEMO_ENABLED): its page, script and stylesheet, and its deliberate bug.
  'GET /demo': 200,
  'GET /demo/settings': 200,
  'GET /demo/app.js': 200,
  'GET /demo/app.css': 200,
  'POST /demo/api/export': 500,
  // Signing in: the email and password are its credential (without them, 400 naming the fields).
  'POST /v1/session': 400,
  // The triage inbox's single-page app: its page and its built files, no data (that comes
  // from the API with the session); an asset that is not in the build is not found.
  'GET /app': 200,
  'GET /app/*path': 200,
  'GET /app/assets/:file': 404,
};
/** The error code of a public route that answers neither 200 nor 404. */
const PUBLIC_CODES: Record<string, string> = {
  'POST /demo/api/export': 'EXPORT_FAILED',
  'POST /v1/session': 'VALIDATION_FAILED',
};
/** Public mounts, each with a path that must answer 200 under it. */
const PUBLIC_MOUNTS: Record<string, string> = {
  'USE /docs serveStatic': '/docs/swagger-ui.css',
};
/**
 * Layers that serve nothing themselves: they do their work and hand the request on, so a path
 * only they match is not found. Anything added here must be such a layer.
 */
const PASS_THROUGH = [
  // nestjs-pino's request logger, applied to every route through Nest's MiddlewareConsumer.
  'ALL /{*path}',
  // requireJson: refuses bodies that are not JSON before they are read.
  'USE /v1 requireJson',
];

interface ExpressLayer {
  name: string;
  rawPath?: unknown;
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

const EVERY_METHOD = METHODS.length;

/**
 * Every route and every path-scoped middleware on the Express 5 (router v2) stack: Nest's
 * controllers and whatever was mounted on Express directly. Middleware mounted at `/` runs for
 * every request; it is not listed.
 */
function servedByExpress(app: INestApplication): Served[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack?: ExpressLayer[] } };
  const stack = express.router?.stack;
  if (!Array.isArray(stack)) throw new Error('No Express 5 router stack: update this test');
  const served: Served[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const methods = Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m]);
      const all = layer.route.methods._all || methods.length >= EVERY_METHOD;
      for (const path of [layer.route.path].flat()) {
        for (const method of all ? ['ALL'] : methods.map((m) => m.toUpperCase())) {
          served.push({ key: `${method} ${path}`, method, path });
        }
      }
      continue;
    }
    // router v2 keeps the path a middleware was mounted at as `rawPath`.
    if (layer.rawPath === undefined) throw new Error('Layer without rawPath: update this test');
    for (const path of [layer.rawPath].flat()) {
      if (typeof path !== 'string')
        throw new Error('A mount path is not a string: update this test');
      if (path === '/') continue;
      // The function's name tells a guard or a logger from a mounted app at the same path.
      served.push({ key: `USE ${path} ${layer.name}`, method: 'USE', path });
    }
  }
  return served;
}

/** The routes Nest's controllers declare, from their decorators' metadata. */
function controllerRoutes(app: INestApplication): string[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const routes: string[] = [];
  for (const { instance, metatype } of discovery.getControllers()) {
    if (!instance || !metatype) continue;
    const prefixes = [Reflect.getMetadata(PATH_METADATA, metatype) ?? '/'].flat() as string[];
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as object;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (paths === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      for (const prefix of prefixes) {
        for (const path of [paths].flat()) {
          const segments = `${prefix}/${path}`.split('/').filter(Boolean);
          routes.push(`${method} /${segments.join('/')}`);
        }
      }
    }
  }
  return routes;
}

/** A concrete URL for a route pattern: parameters and wildcards filled in, optional parts kept. */
function sampleUrl(pattern: string): string {
  return pattern
    .replace(/[{}]/g, '')
    .replace(/\*\w+/g, `probe-${randomUUID()}`)
    .replace(/:\w+/g, () => randomUUID());
}

/** Calls without any credential; answers `KEY -> status CODE` so that failures read as a list. */
async function callAnonymously(
  baseUrl: string,
  key: string,
  method: string,
  url: string,
): Promise<string> {
  const verb = method === 'ALL' || method === 'USE' ? 'get' : method.toLowerCase();
  const res = await request(baseUrl)[verb as 'get' | 'post' | 'put' | 'patch' | 'delete'](url);
  const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code ?? '-';
  return `${key} -> ${res.status} ${code}`;
}

/**
 * Calls each served route and mount that is neither public nor pass-through without a
 * credential (a mount at its path and at a path under it). Each must answer 401.
 */
async function auditAnonymous(
  baseUrl: string,
  served: Served[],
): Promise<{ answers: string[]; expected: string[] }> {
  const answers: string[] = [];
  const expected: string[] = [];
  for (const { key, method, path } of served) {
    if (key in PUBLIC_ROUTES || key in PUBLIC_MOUNTS || PASS_THROUGH.includes(key)) {
      continue;
    }
    const urls = method === 'USE' ? [path, `${path}/${randomUUID()}`] : [sampleUrl(path)];
    for (const url of urls) {
      answers.push(await callAnonymously(baseUrl, key, method, url));
      expected.push(`${key} -> 401 UNAUTHORIZED`);
    }
  }
  return { answers, expected };
}

describe('every route needs a credential unless it is listed as public', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let served: Served[];
  const adminToken = 'test-admin-token-0123456789';
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  beforeAll(async () => {
    h = await createHarness();
    expect(h.config.ADMIN_TOKEN).toBe(adminToken);
    const widgetDir = await mkdtemp(join(tmpdir(), 'repro-widget-'));
    const manifest = { version: '0.0.0-0000000000', iife: 'repro.js', esm: 'repro.mjs' };
    await writeFile(join(widgetDir, 'manifest.json'), JSON.stringify(manifest));
    await writeFile(join(widgetDir, 'repro.js'), '');
    app = await h.start('api', { WIDGET_DIR: widgetDir });
    acme = await createProject(h.db);
    served = servedByExpress(app.app as INestApplication);
  });
  afterAll(() => h.close());

  it('sees every controller route on the Express stack, and the mounts beside them', () => {
    const keys = served.map((s) => s.key);
    const routes = controllerRoutes(app.app as INestApplication);
    expect(routes).toEqual(
      expect.arrayContaining(['POST /v1/reports', 'GET /v1/reports/:id', 'GET /metrics']),
    );
    expect(routes.filter((route) => !keys.includes(route))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['USE /admin/queues mounted_app']));
  });

  it('answers 401 UNAUTHORIZED without a credential on every route not listed as public', async () => {
    const { answers, expected } = await auditAnonymous(app.url, served);
    expect(answers.length).toBeGreaterThanOrEqual(6);
    expect(answers).toEqual(expected);
  });

  it('checks the credential before reading a body: a wrong key with a body that is not JSON is a 401, not a 400', async () => {
    // Public routes whose own check comes with the body; they get the per-address limit first.
    const checkedWithTheBody = [
      'POST /v1/webhooks/linear', // a signature over the raw body
      'POST /v1/webhooks/github',
      'POST /v1/session', // the email and password are in the body
    ];
    const answers: string[] = [];
    const expected: string[] = [];
    for (const { key, method, path } of served) {
      if (!['POST', 'PUT', 'PATCH'].includes(method) || checkedWithTheBody.includes(key)) continue;
      const verb = method.toLowerCase() as 'post' | 'put' | 'patch';
      const agent = request(app.url);
      const res = await agent[verb](sampleUrl(path))
        .set('Authorization', `Bearer ${generateApiKey().key}`)
        .set('Content-Type', 'application/json')
        .send('{"this is": not JSON');
      const code = (res.body as { error?: { code?: string } }).error?.code;
      answers.push(`${key} -> ${res.status} ${code}`);
      // A public route that takes no body answers as it always does, the body left unread.
      expected.push(
        key in PUBLIC_ROUTES
          ? `${key} -> ${PUBLIC_ROUTES[key]} ${PUBLIC_CODES[key]}`
          : `${key} -> 401 UNAUTHORIZED`,
      );
    }
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers).toEqual(expected);
  });

  it('serves the public routes without a credential, as listed', async () => {
    const keys = served.map((s) => s.key);
    const listed = {
      ...PUBLIC_ROUTES,
      ...Object.fromEntries(Object.keys(PUBLIC_MOUNTS).map((k) => [k, 200])),
    };
    expect(Object.keys(listed).filter((key) => !keys.includes(key))).toEqual([]);
    const answers: string[] = [];
    for (const key of Object.keys(PUBLIC_ROUTES)) {
      const [method, path] = key.split(' ');
      answers.push(await callAnonymously(app.url, key, method, path));
    }
    for (const [key, url] of Object.entries(PUBLIC_MOUNTS)) {
      answers.push(await callAnonymously(app.url, key, 'GET', url));
    }
    expect(answers).toEqual(
      Object.entries(listed).map(
        ([k, status]) =>
          `${k} -> ${status} ${status === 200 ? '-' : (PUBLIC_CODES[k] ?? 'NOT_FOUND')}`,
      ),
    );
  });

  it('finds that the pass-through layers serve nothing: a path only they match is not found', async () => {
    const keys = served.map((s) => s.key);
    const answers: string[] = [];
    for (const key of PASS_THROUGH) {
      expect(keys).toContain(key);
      const [method, path] = key.split(' ');
      const url = method === 'USE' ? `${path}/probe-${randomUUID()}` : sampleUrl(path);
      answers.push(await callAnonymously(app.url, key, 'GET', url));
      answers.push(await callAnonymously(app.url, key, 'POST', url));
    }
    expect(answers).toEqual(
      PASS_THROUGH.flatMap((k) => [`${k} -> 404 NOT_FOUND`, `${k} -> 404 NOT_FOUND`]),
    );
  });

  it('would catch a route added straight on Express without a guard', async () => {
    const other = await h.start('api');
    const express = (other.app as INestApplication).getHttpAdapter().getInstance() as {
      get(path: string, handler: (req: unknown, res: { json(body: unknown): void }) => void): void;
      router: { stack: unknown[] };
    };
    express.get('/v1/debug', (_req, res) => res.json({ secrets: true }));
    // Ahead of Nest's not-found handler, as if app.ts had added it before app.init().
    express.router.stack.unshift(express.router.stack.pop());
    try {
      const { answers, expected } = await auditAnonymous(
        other.url,
        servedByExpress(other.app as INestApplication),
      );
      expect(answers).toContain('GET /v1/debug -> 200 -');
      expect(expected).toContain('GET /v1/debug -> 401 UNAUTHORIZED');
    } finally {
      await other.close();
    }
  });

  describe('operator routes need ADMIN_TOKEN', () => {
    it('/metrics: 401 without it or with a project API key, 200 with it as Bearer or Basic', async () => {
      await request(app.url).get('/metrics').expect(401);
      const withKey = await request(app.url).get('/metrics').set(acme.auth).expect(401);
      expect(withKey.body.error.code).toBe('UNAUTHORIZED');
      await request(app.url)
        .get('/metrics')
        .set('Authorization', `Bearer ${adminToken}x`)
        .expect(401);
      await request(app.url)
        .get('/metrics')
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(200);
      await request(app.url)
        .get('/metrics')
        .set('Authorization', basic('ops', adminToken))
        .expect(200);
    });

    it('/admin/queues: 401 with WWW-Authenticate without it, 200 with Bearer or Basic', async () => {
      for (const auth of [
        undefined,
        acme.auth.Authorization,
        basic('ops', 'wrong-password-123456'),
      ]) {
        const req = request(app.url).get('/admin/queues');
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Repro admin"/);
      }
      const page = await request(app.url)
        .get('/admin/queues')
        .set('Authorization', basic('anyone', adminToken))
        .expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const queues = await request(app.url)
        .get('/admin/queues/api/queues')
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(200);
      expect(JSON.stringify(queues.body)).toContain('pipeline');
    });

    it('/metrics shows HTTP latency, queue depth, job totals and reports by status', async () => {
      await request(app.url).post('/v1/reports').set(acme.auth).send(reportPayload()).expect(202);
      const received = await h.db.getRepository(Report).countBy({ status: 'received' });
      expect(received).toBeGreaterThan(0);

      const res = await request(app.url)
        .get('/metrics')
        .set('Authorization', `Bearer ${adminToken}`)
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const text = res.text;
      expect(text).toMatch(
        /^repro_http_request_duration_seconds_count\{method="POST",route="\/v1\/reports",status="202"\} [1-9]/m,
      );
      expect(text).toMatch(/^repro_queue_jobs\{queue="pipeline",state="waiting"\} \d+/m);
      expect(text).toMatch(/^repro_jobs_completed_total\{queue="pipeline"\} \d+/m);
      expect(text).toMatch(/^repro_jobs_failed_total\{queue="pipeline"\} \d+/m);
      expect(text).toContain(`repro_reports{status="received"} ${received}\n`);
    });
  });

  it('publishes the OpenAPI document without a credential, listing the reports API', async () => {
    const res = await request(app.url).get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/reports', '/v1/reports/{id}']),
    );
    expect(res.body.paths['/v1/reports'].post.security).toEqual([{ bearer: [] }]);
    expect(res.body.paths['/metrics'].get.security).toEqual([{ admin: [] }]);
  });
});
