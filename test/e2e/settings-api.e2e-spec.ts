import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { runCli } from '../../src/cli';
import type { CliIo } from '../../src/cli/io';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { UsersService } from '../../src/modules/users/users.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

const APP_ORIGIN = 'https://app.acme.example';

interface Session {
  cookie: string;
  csrf: string;
}

describe('settings over HTTP: admins change a project, and create and switch projects', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let admin: Session;
  let member: Session;
  const adminPassword = 'admin-password-0123';
  const memberPassword = 'member-password-4567';

  async function signIn(url: string, email: string, password: string): Promise<Session> {
    const res = await request(url).post('/v1/session').send({ email, password }).expect(200);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    return {
      cookie: setCookie[0].split(';')[0],
      csrf: (res.body as { csrfToken: string }).csrfToken,
    };
  }

  /** A request as a signed-in person of `project` (the write carries the CSRF token). */
  function as(
    who: Session,
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    project: string = acme.project.slug,
    url = app.url,
  ): request.Test {
    const agent = request(url);
    const req = agent[method](path).set('Cookie', who.cookie).set('X-Repro-Project', project);
    return method === 'get' ? req : req.set('X-CSRF-Token', who.csrf);
  }

  const fields = (res: request.Response) =>
    ((res.body.error?.details?.fields ?? []) as { field: string }[]).map((f) => f.field);

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { env: h.env, out: (t) => (stdout += t), err: (t) => (stderr += t) };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db, 'Acme');
    const users = new UsersService(h.db, new ProjectsService(h.db), h.config);
    await users.createUser({ email: 'ana@example.com', role: 'admin', password: adminPassword });
    await users.createUser({
      email: 'bob@example.com',
      role: 'member',
      password: memberPassword,
      projects: [acme.project.slug],
    });
    admin = await signIn(app.url, 'ana@example.com', adminPassword);
    member = await signIn(app.url, 'bob@example.com', memberPassword);
  });
  afterAll(() => h.close());

  it('refuses a member every settings route with 403 FORBIDDEN_ROLE, and changes nothing', async () => {
    const routes: ['get' | 'post' | 'patch' | 'delete', string, object?][] = [
      ['get', '/v1/projects'],
      ['post', '/v1/projects', { name: 'Sneaky', slug: 'sneaky' }],
      ['get', '/v1/projects/current/settings'],
      ['patch', '/v1/projects/current/policy', { maxQuestions: 1 }],
      ['patch', '/v1/projects/current/tracker', { team: 'ENG' }],
      ['get', '/v1/projects/current/api-keys'],
      ['post', '/v1/projects/current/api-keys', { label: 'mine' }],
      ['delete', `/v1/projects/current/api-keys/${acme.apiKey.slice(0, 16)}`],
      ['patch', '/v1/projects/current/widget', { allowedOrigins: ['https://evil.example'] }],
      ['post', '/v1/projects/current/widget/rotate-key'],
      ['patch', '/v1/projects/current/email', { unknownSenders: 'refuse' }],
    ];
    for (const [method, path, body] of routes) {
      const req = as(member, method, path);
      const res = await (body ? req.send(body) : req);
      expect({
        route: `${method} ${path}`,
        status: res.status,
        code: res.body.error?.code,
      }).toEqual({
        route: `${method} ${path}`,
        status: 403,
        code: 'FORBIDDEN_ROLE',
      });
    }
    const project = await new ProjectsService(h.db).findBySlug(acme.project.slug);
    expect(project.widgetKey).toBe(acme.project.widgetKey);
    expect(project.widgetAllowedOrigins).toEqual([]);
    expect(project.agentPolicy).toEqual({});
    expect(await h.db.query(`SELECT 1 FROM projects WHERE slug = 'sneaky'`)).toEqual([]);
    // The project's key still works: the member's DELETE revoked nothing.
    await request(app.url).get('/v1/projects/current').set(acme.auth).expect(200);
  });

  it('shows an admin the settings of the project X-Repro-Project names, with no secret in them', async () => {
    await new ProjectsService(h.db).updateEmailWebhookSecrets(acme.project.slug, {
      postmarkPasswordHash: 'a'.repeat(64),
      mailgunSigningKey: 'key-mailgun-secret-123',
    });
    const res = await as(admin, 'get', '/v1/projects/current/settings').expect(200);
    expect(res.body).toMatchObject({
      id: acme.project.id,
      slug: acme.project.slug,
      policy: { project: {}, effective: { maxQuestions: 0, autoFileThreshold: 0 } },
      tracker: {
        provider: 'builtin',
        settings: {},
        hasToken: false,
        available: { builtin: true, linear: false, github: false },
        status: 'ok',
        error: null,
      },
      widget: {
        key: acme.project.widgetKey,
        allowedOrigins: [],
        showTicketKey: false,
        snippet: expect.stringContaining(`data-repro-key="${acme.project.widgetKey}"`),
      },
      email: {
        staffSenders: [],
        unknownSenders: 'report',
        questionsTo: 'reporter',
        domainAccounts: {},
        webhooks: {
          postmark: {
            url: `${h.config.PUBLIC_URL}/v1/emails/webhooks/${acme.project.slug}/postmark`,
            secretSet: true,
          },
          sendgrid: { secretSet: false },
          mailgun: { secretSet: true },
        },
      },
    });
    expect(JSON.stringify(res.body)).not.toContain('key-mailgun-secret-123');
    expect(JSON.stringify(res.body)).not.toContain('a'.repeat(64));
    // The project's API key sees the same, its own project.
    const byKey = await request(app.url)
      .get('/v1/projects/current/settings')
      .set(acme.auth)
      .expect(200);
    expect(byKey.body).toEqual(res.body);
  });

  it('an admin changes the policy: the settings and `repro policy` show it, and the next report is triaged with it', async () => {
    const res = await as(admin, 'patch', '/v1/projects/current/policy')
      .send({ approvalTiers: ['Enterprise'], questionHints: { logs: 'Help → Show Logs' } })
      .expect(200);
    expect(res.body.project).toEqual({
      approvalTiers: ['Enterprise'],
      questionHints: { logs: 'Help → Show Logs' },
    });
    expect(res.body.effective).toMatchObject({ approvalTiers: ['Enterprise'], maxQuestions: 0 });
    const settings = await as(admin, 'get', '/v1/projects/current/settings').expect(200);
    expect(settings.body.policy.project.approvalTiers).toEqual(['Enterprise']);
    const shown = await cli(['policy', '--project', acme.project.slug]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).project.approvalTiers).toEqual(['Enterprise']);

    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ account: { id: 'acct-big', name: 'Big Co', tier: 'enterprise' } }))
      .expect(202);
    const id = created.body.id as string;
    await waitForReport(app.url, acme.auth, id, 'needs_human');
    const moved = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, toStatus: 'needs_human' });
    expect(moved.reason).toMatch(/Reports from enterprise accounts need a person's approval/);

    // null returns a setting to the default.
    const reset = await as(admin, 'patch', '/v1/projects/current/policy')
      .send({ approvalTiers: null })
      .expect(200);
    expect(reset.body.project).toEqual({ questionHints: { logs: 'Help → Show Logs' } });
  });

  it('refuses an unknown policy value or setting with 400 VALIDATION_FAILED naming the field', async () => {
    const wrongValue = await as(admin, 'patch', '/v1/projects/current/policy')
      .send({ onClarifyTimeout: 'wait-forever' })
      .expect(400);
    expect(wrongValue.body.error.code).toBe('VALIDATION_FAILED');
    expect(fields(wrongValue)).toEqual(['onClarifyTimeout']);
    const outOfRange = await as(admin, 'patch', '/v1/projects/current/policy')
      .send({ autoFileThreshold: 2, allowedTools: ['rm_rf'] })
      .expect(400);
    expect(new Set(fields(outOfRange))).toEqual(new Set(['autoFileThreshold', 'allowedTools.0']));
    const unknown = await as(admin, 'patch', '/v1/projects/current/policy')
      .send({ letTheAgentDeploy: true })
      .expect(400);
    expect(fields(unknown)).toEqual(['letTheAgentDeploy']);
    const project = await new ProjectsService(h.db).findBySlug(acme.project.slug);
    expect(project.agentPolicy).toEqual({ questionHints: { logs: 'Help → Show Logs' } });
  });

  it('creates an API key shown once that then works, lists it without the key, and revokes it so it stops at once', async () => {
    // Keys verified in this process are remembered for a minute: revoking must still be immediate.
    const cached = await h.start('api', { API_KEY_CACHE_MS: 60_000 });
    const ana = await signIn(cached.url, 'ana@example.com', adminPassword);
    const created = await as(ana, 'post', '/v1/projects/current/api-keys', undefined, cached.url)
      .send({ label: 'CI' })
      .expect(201);
    const { key, prefix } = created.body as { key: string; prefix: string };
    expect(key).toMatch(/^repro_[a-z0-9]{10}_/);
    expect(created.body).toMatchObject({ label: 'CI', revokedAt: null, lastUsedAt: null });
    const bearer = { Authorization: `Bearer ${key}` };
    const mine = await request(cached.url).get('/v1/projects/current').set(bearer).expect(200);
    expect(mine.body.slug).toBe(acme.project.slug);
    // Its first use is recorded, so people can tell a key in use from a forgotten one.
    const used = await waitFor(async () => {
      const keys = await as(ana, 'get', '/v1/projects/current/api-keys', undefined, cached.url);
      return (keys.body as { prefix: string; lastUsedAt: string | null }[]).find(
        (k) => k.prefix === prefix && k.lastUsedAt,
      );
    });
    expect(Date.parse(used.lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(created.body.createdAt));

    const listed = await as(ana, 'get', '/v1/projects/current/api-keys', undefined, cached.url);
    expect(listed.status).toBe(200);
    expect(listed.body).toContainEqual(
      expect.objectContaining({ prefix, label: 'CI', revokedAt: null }),
    );
    expect(JSON.stringify(listed.body)).not.toContain(key);

    await as(
      ana,
      'delete',
      `/v1/projects/current/api-keys/${prefix}`,
      undefined,
      cached.url,
    ).expect(204);
    const refused = await request(cached.url).get('/v1/projects/current').set(bearer).expect(401);
    expect(refused.body.error.code).toBe('UNAUTHORIZED');
    const after = await as(ana, 'get', '/v1/projects/current/api-keys', undefined, cached.url);
    expect(after.body.find((k: { prefix: string }) => k.prefix === prefix).revokedAt).toEqual(
      expect.any(String),
    );
    // Revoked already, or another project's key: not found, and that key keeps working.
    await as(
      ana,
      'delete',
      `/v1/projects/current/api-keys/${prefix}`,
      undefined,
      cached.url,
    ).expect(404);
    const globex = await createProject(h.db, 'Globex');
    const otherPrefix = globex.apiKey.slice(0, 16);
    await as(
      ana,
      'delete',
      `/v1/projects/current/api-keys/${otherPrefix}`,
      undefined,
      cached.url,
    ).expect(404);
    await request(cached.url).get('/v1/projects/current').set(globex.auth).expect(200);
    await cached.close();
  });

  it('adds an allowed origin (normalised): the widget preflight from it is then allowed; a bad origin is 400 naming it', async () => {
    const bad = await as(admin, 'patch', '/v1/projects/current/widget')
      .send({
        allowedOrigins: [APP_ORIGIN, 'https://app.acme.example/settings', 'javascript:alert(1)'],
      })
      .expect(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(fields(bad)).toEqual(['allowedOrigins.1', 'allowedOrigins.2']);

    const res = await as(admin, 'patch', '/v1/projects/current/widget')
      .send({ allowedOrigins: ['HTTPS://App.Acme.Example:443/'], showTicketKey: true })
      .expect(200);
    expect(res.body).toMatchObject({ allowedOrigins: [APP_ORIGIN], showTicketKey: true });

    const preflight = (widgetKey: string, origin: string) =>
      request(app.url)
        .options(`/v1/widget/${widgetKey}/reports`)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST');
    const allowed = await preflight(acme.project.widgetKey, APP_ORIGIN).expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    await preflight(acme.project.widgetKey, 'https://evil.example').expect(403);

    // A new widget key: the old one is refused from then on, the new one works.
    const rotated = await as(admin, 'post', '/v1/projects/current/widget/rotate-key').expect(200);
    expect(rotated.body.key).toMatch(/^pk_/);
    expect(rotated.body.key).not.toBe(acme.project.widgetKey);
    expect(rotated.body.allowedOrigins).toEqual([APP_ORIGIN]);
    await preflight(rotated.body.key as string, APP_ORIGIN).expect(204);
    // (An unknown key's preflight passes so that the page reads why its report is then refused.)
    const old = await request(app.url)
      .post(`/v1/widget/${acme.project.widgetKey}/reports`)
      .set('Origin', APP_ORIGIN)
      .set('Idempotency-Key', randomUUID())
      .send(reportPayload());
    expect(old.status).toBe(401);
  });

  it('sets the tracker choices; a token is refused without being echoed, a provider without credentials is 400', async () => {
    const res = await as(admin, 'patch', '/v1/projects/current/tracker')
      .send({ team: 'ENG', labels: ['bug', 'from-repro'] })
      .expect(200);
    expect(res.body).toMatchObject({
      provider: 'builtin',
      settings: { team: 'ENG', labels: ['bug', 'from-repro'] },
      status: 'ok',
    });
    const cleared = await as(admin, 'patch', '/v1/projects/current/tracker')
      .send({ team: null })
      .expect(200);
    expect(cleared.body.settings).toEqual({ labels: ['bug', 'from-repro'] });

    const secret = 'lin_api_0123456789abcdefSECRET';
    const token = await as(admin, 'patch', '/v1/projects/current/tracker')
      .send({ provider: 'linear', token: secret })
      .expect(400);
    expect(new Set(fields(token))).toEqual(new Set(['token', 'provider']));
    expect(JSON.stringify(token.body)).not.toContain(secret);
    expect(JSON.stringify(await h.db.query(`SELECT * FROM projects`))).not.toContain(secret);

    const repo = await as(admin, 'patch', '/v1/projects/current/tracker')
      .send({ repo: 'not a repo' })
      .expect(400);
    expect(fields(repo)).toEqual(['repo']);
    const provider = await as(admin, 'patch', '/v1/projects/current/tracker')
      .send({ provider: 'jira' })
      .expect(400);
    expect(fields(provider)).toEqual(['provider']);
  });

  it('switches a project to GitHub when the environment has its token, and back; the default project follows the environment', async () => {
    const withGitHub = await h.start('api', {
      GITHUB_TOKEN: 'ghp_settings_test_token_0123',
      GITHUB_REPO: 'acme/fallback',
    });
    const ana = await signIn(withGitHub.url, 'ana@example.com', adminPassword);
    const patch = (body: object, project = acme.project.slug) =>
      as(ana, 'patch', '/v1/projects/current/tracker', project, withGitHub.url).send(body);
    const github = await patch({ provider: 'github', repo: 'acme/app' }).expect(200);
    expect(github.body).toMatchObject({
      provider: 'github',
      settings: { repo: 'acme/app' },
      hasToken: true,
      available: { builtin: true, linear: false, github: true },
    });
    expect(JSON.stringify(github.body)).not.toContain('ghp_settings_test_token_0123');
    const linear = await patch({ provider: 'linear' }).expect(400);
    expect(linear.body.error.details.fields).toEqual([
      { field: 'provider', message: 'linear needs LINEAR_API_KEY in the environment' },
    ]);
    const back = await patch({ provider: 'builtin', repo: null }).expect(200);
    expect(back.body).toMatchObject({ provider: 'builtin', hasToken: false });
    const dflt = await patch({ provider: 'builtin' }, 'default').expect(400);
    expect(fields(dflt)).toEqual(['provider']);
    await withGitHub.close();
  });

  it('sets the email settings as `repro email` does, refusing a bad staff sender by its place', async () => {
    const res = await as(admin, 'patch', '/v1/projects/current/email')
      .send({
        staffSenders: ['Ana@Acme.com', '@acme.com'],
        unknownSenders: 'refuse',
        domainAccounts: { '@Customer.io': 'acct_42' },
        questionsTo: 'forwarder',
      })
      .expect(200);
    expect(res.body).toMatchObject({
      staffSenders: ['ana@acme.com', '@acme.com'],
      unknownSenders: 'refuse',
      domainAccounts: { 'customer.io': 'acct_42' },
      questionsTo: 'forwarder',
    });
    const shown = await cli(['email', '--project', acme.project.slug]);
    expect(shown.stdout).toContain('Staff senders: ana@acme.com, @acme.com');
    expect(shown.stdout).toContain('Domain accounts: customer.io=acct_42');

    const bad = await as(admin, 'patch', '/v1/projects/current/email')
      .send({ staffSenders: ['ana@acme.com', 'not-an-address'], unknownSenders: 'ignore' })
      .expect(400);
    expect(new Set(fields(bad))).toEqual(new Set(['unknownSenders']));
    const badStaff = await as(admin, 'patch', '/v1/projects/current/email')
      .send({ staffSenders: ['ana@acme.com', 'not-an-address'] })
      .expect(400);
    expect(fields(badStaff)).toEqual(['staffSenders.1']);
  });

  it('creates a second project with its first key; switching to it with X-Repro-Project shows an empty inbox', async () => {
    const before = await as(admin, 'get', '/v1/reports').expect(200);
    expect(before.body.items.length).toBeGreaterThan(0);

    const created = await as(admin, 'post', '/v1/projects')
      .send({ name: 'Acme mobile', slug: 'acme-mobile' })
      .expect(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      slug: 'acme-mobile',
      name: 'Acme mobile',
      apiKey: { key: expect.stringMatching(/^repro_/), prefix: expect.any(String) },
    });
    const list = await as(admin, 'get', '/v1/projects').expect(200);
    expect(list.body).toEqual(
      expect.arrayContaining([
        { id: acme.project.id, slug: acme.project.slug, name: 'Acme' },
        { id: created.body.id, slug: 'acme-mobile', name: 'Acme mobile' },
      ]),
    );

    const inbox = await as(admin, 'get', '/v1/reports', 'acme-mobile').expect(200);
    expect(inbox.body.items).toEqual([]);
    const settings = await as(admin, 'get', '/v1/projects/current/settings', 'acme-mobile');
    expect(settings.body).toMatchObject({ slug: 'acme-mobile', widget: { allowedOrigins: [] } });
    // Its own key reaches it, and lists only it.
    const own = { Authorization: `Bearer ${created.body.apiKey.key as string}` };
    const mine = await request(app.url).get('/v1/projects').set(own).expect(200);
    expect(mine.body).toEqual([{ id: created.body.id, slug: 'acme-mobile', name: 'Acme mobile' }]);
    // The member was not given it.
    const refused = await as(member, 'get', '/v1/reports', 'acme-mobile').expect(403);
    expect(refused.body.error.code).toBe('PROJECT_FORBIDDEN');
  });

  it('refuses a taken slug (409 SLUG_TAKEN), a bad slug (400), and an API key creating a project (403)', async () => {
    const taken = await as(admin, 'post', '/v1/projects')
      .send({ name: 'Again', slug: acme.project.slug })
      .expect(409);
    expect(taken.body.error).toMatchObject({ code: 'SLUG_TAKEN', details: { field: 'slug' } });
    for (const slug of ['-dash', 'A', 'Upper', 'x'.repeat(41), 'with space']) {
      const bad = await as(admin, 'post', '/v1/projects').send({ name: 'Bad', slug }).expect(400);
      expect(fields(bad)).toEqual(['slug']);
    }
    const blank = await as(admin, 'post', '/v1/projects').send({ name: '  ', slug: 'blank' });
    expect(fields(blank)).toEqual(['name']);
    const byKey = await request(app.url)
      .post('/v1/projects')
      .set(acme.auth)
      .send({ name: 'Other', slug: 'other' })
      .expect(403);
    expect(byKey.body.error.code).toBe('FORBIDDEN_ROLE');
  });

  it('refuses an admin’s write without the session’s CSRF token', async () => {
    const res = await request(app.url)
      .patch('/v1/projects/current/policy')
      .set('Cookie', admin.cookie)
      .send({ maxQuestions: 2 })
      .expect(403);
    expect(res.body.error.code).toBe('CSRF_FAILED');
  });

  it('describes every settings route in OpenAPI with its response schema', async () => {
    const doc = (await request(app.url).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const schemaOf = (path: string, method: string, status: string) =>
      JSON.stringify(doc.paths[path]?.[method]?.responses[status] ?? null);
    const expected: [string, string, string, string][] = [
      ['/v1/projects', 'get', '200', 'ProjectRefDto'],
      ['/v1/projects', 'post', '201', 'CreatedProjectDto'],
      ['/v1/projects/current/settings', 'get', '200', 'ProjectSettingsDto'],
      ['/v1/projects/current/policy', 'patch', '200', 'PolicySettingsDto'],
      ['/v1/projects/current/tracker', 'patch', '200', 'TrackerSettingsDto'],
      ['/v1/projects/current/api-keys', 'get', '200', 'ApiKeyDto'],
      ['/v1/projects/current/api-keys', 'post', '201', 'CreatedApiKeyDto'],
      ['/v1/projects/current/widget', 'patch', '200', 'WidgetSettingsDto'],
      ['/v1/projects/current/widget/rotate-key', 'post', '200', 'WidgetSettingsDto'],
      ['/v1/projects/current/email', 'patch', '200', 'EmailSettingsDto'],
    ];
    for (const [path, method, status, dto] of expected) {
      expect([path, method, schemaOf(path, method, status)]).toEqual([
        path,
        method,
        expect.stringContaining(`#/components/schemas/${dto}`),
      ]);
    }
    expect(
      doc.paths['/v1/projects/current/api-keys/{prefix}'].delete.responses['204'],
    ).toBeDefined();
    expect(Object.keys(doc.components.schemas.TrackerSettingsDto.properties)).toContain('hasToken');
    expect(JSON.stringify(doc.components.schemas.ApiKeyDto)).not.toMatch(/"key"/);
  });
});
