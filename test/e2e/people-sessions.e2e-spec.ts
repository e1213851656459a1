import request from 'supertest';
import { runCli } from '../../src/cli';
import type { UsersIo } from '../../src/cli/users.command';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { UserSession } from '../../src/modules/users/entities/user-session.entity';
import { User } from '../../src/modules/users/entities/user.entity';
import { UsersService } from '../../src/modules/users/users.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

interface SignedIn {
  cookie: string;
  csrf: string;
  body: {
    user: { id: string; email: string; name: string | null; role: string };
    csrfToken: string;
    projects: { id: string; slug: string; name: string }[];
    expiresAt: string;
  };
}

describe('people sign in to the app with a session cookie', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let globex: TestProject;
  let users: UsersService;
  const adminPassword = 'admin-password-0123';
  const memberPassword = 'member-password-4567';

  async function signIn(email: string, password: string): Promise<SignedIn> {
    const res = await request(app.url).post('/v1/session').send({ email, password }).expect(200);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    return {
      cookie: setCookie[0].split(';')[0],
      csrf: (res.body as SignedIn['body']).csrfToken,
      body: res.body as SignedIn['body'],
    };
  }

  async function createReport(project: TestProject): Promise<string> {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(project.auth)
      .send(reportPayload())
      .expect(202);
    return (res.body as { id: string }).id;
  }

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api', {
      RATE_LIMIT_SIGN_IN_PER_MINUTE: 5,
      RATE_LIMIT_SIGN_IN_PER_ADDRESS_PER_MINUTE: 1000,
    });
    acme = await createProject(h.db, 'Acme');
    globex = await createProject(h.db, 'Globex');
    users = new UsersService(h.db, new ProjectsService(h.db), h.config);
    await users.createUser({ email: 'Ana@Example.com', role: 'admin', password: adminPassword });
    await users.createUser({
      email: 'bob@example.com',
      name: 'Bob',
      role: 'member',
      password: memberPassword,
      projects: [acme.project.slug],
    });
  });
  afterAll(() => h.close());

  it('signs in with email and password: an HttpOnly, SameSite=Strict cookie, then GET /v1/session answers the same', async () => {
    const res = await request(app.url)
      .post('/v1/session')
      .send({ email: 'BOB@example.com ', password: memberPassword })
      .expect(200);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/^repro_session=[\w-]{43}; /);
    expect(setCookie[0]).toMatch(/; HttpOnly/);
    expect(setCookie[0]).toMatch(/; SameSite=Strict/);
    expect(setCookie[0]).toMatch(/; Path=\//);
    expect(setCookie[0]).toMatch(/; Max-Age=604800/);
    // PUBLIC_URL is http here: no Secure (a browser would drop the cookie).
    expect(setCookie[0]).not.toMatch(/Secure/);
    expect(res.body).toEqual({
      user: { id: expect.any(String), email: 'bob@example.com', name: 'Bob', role: 'member' },
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
      projects: [{ id: acme.project.id, slug: acme.project.slug, name: 'Acme' }],
      expiresAt: expect.any(String),
    });
    const hoursLeft = (Date.parse(res.body.expiresAt) - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(167);
    expect(hoursLeft).toBeLessThanOrEqual(168);

    const cookie = setCookie[0].split(';')[0];
    const again = await request(app.url).get('/v1/session').set('Cookie', cookie).expect(200);
    expect(again.body).toEqual(res.body);
    // Only a hash of the token is stored.
    const token = cookie.split('=')[1];
    const rows = await h.db.getRepository(UserSession).find();
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('gives an admin every project', async () => {
    const ana = await signIn('ana@example.com', adminPassword);
    expect(ana.body.user.role).toBe('admin');
    expect(ana.body.projects.map((p) => p.slug)).toEqual(
      expect.arrayContaining([acme.project.slug, globex.project.slug]),
    );
  });

  it('answers a wrong password and an unknown email alike: 401 INVALID_CREDENTIALS, no cookie', async () => {
    const wrong = await request(app.url)
      .post('/v1/session')
      .send({ email: 'bob@example.com', password: 'not-the-password' })
      .expect(401);
    const unknown = await request(app.url)
      .post('/v1/session')
      .send({ email: 'nobody@example.com', password: memberPassword })
      .expect(401);
    for (const res of [wrong, unknown]) {
      expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    const bad = await request(app.url).post('/v1/session').send({ email: 'bob@example.com' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const fields = (bad.body.error.details.fields as { field: string }[]).map((f) => f.field);
    expect(new Set(fields)).toEqual(new Set(['password']));
  });

  it('refuses the 6th sign-in attempt for one email within a minute (429 RATE_LIMITED, Retry-After), even with the right password', async () => {
    await users.createUser({
      email: 'carol@example.com',
      role: 'member',
      password: 'carol-password-890',
      projects: [acme.project.slug],
    });
    for (let i = 0; i < 5; i += 1) {
      const res = await request(app.url)
        .post('/v1/session')
        .send({ email: 'carol@example.com', password: `guess-${i}-wrong` });
      expect(res.status).toBe(401);
    }
    const sixth = await request(app.url)
      .post('/v1/session')
      .send({ email: 'carol@example.com', password: 'carol-password-890' });
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('RATE_LIMITED');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    // Another person from the same address still signs in.
    await signIn('bob@example.com', memberPassword);
  });

  it("reads its own project's reports with the cookie, and is refused another project's", async () => {
    const bob = await signIn('bob@example.com', memberPassword);
    const acmeReport = await createReport(acme);
    const globexReport = await createReport(globex);
    const own = await request(app.url)
      .get(`/v1/reports/${acmeReport}`)
      .set('Cookie', bob.cookie)
      .expect(200);
    expect(own.body.id).toBe(acmeReport);
    await request(app.url)
      .get(`/v1/reports/${acmeReport}`)
      .set('Cookie', bob.cookie)
      .set('X-Repro-Project', acme.project.slug)
      .expect(200);
    const forbidden = await request(app.url)
      .get(`/v1/reports/${globexReport}`)
      .set('Cookie', bob.cookie)
      .set('X-Repro-Project', globex.project.slug)
      .expect(403);
    expect(forbidden.body.error.code).toBe('PROJECT_FORBIDDEN');
    // In his own project, another project's report does not exist.
    await request(app.url).get(`/v1/reports/${globexReport}`).set('Cookie', bob.cookie).expect(404);

    const ana = await signIn('ana@example.com', adminPassword);
    const asAdmin = await request(app.url)
      .get(`/v1/reports/${globexReport}`)
      .set('Cookie', ana.cookie)
      .set('X-Repro-Project', globex.project.slug)
      .expect(200);
    expect(asAdmin.body.id).toBe(globexReport);
  });

  it('needs the X-CSRF-Token and Repro’s own origin for a write with the cookie', async () => {
    const bob = await signIn('bob@example.com', memberPassword);
    const noToken = await request(app.url)
      .post('/v1/reports')
      .set('Cookie', bob.cookie)
      .send(reportPayload())
      .expect(403);
    expect(noToken.body.error.code).toBe('CSRF_FAILED');
    const otherToken = await request(app.url)
      .post('/v1/reports')
      .set('Cookie', bob.cookie)
      .set('X-CSRF-Token', `${bob.csrf.slice(0, -1)}x`)
      .send(reportPayload())
      .expect(403);
    expect(otherToken.body.error.code).toBe('CSRF_FAILED');
    const foreign = await request(app.url)
      .post('/v1/reports')
      .set('Cookie', bob.cookie)
      .set('X-CSRF-Token', bob.csrf)
      .set('Origin', 'https://evil.example')
      .send(reportPayload())
      .expect(403);
    expect(foreign.body.error.code).toBe('CSRF_FAILED');

    const created = await request(app.url)
      .post('/v1/reports')
      .set('Cookie', bob.cookie)
      .set('X-CSRF-Token', bob.csrf)
      .set('Origin', new URL(app.url).origin)
      .send(reportPayload())
      .expect(202);
    // Filed in his project: the API key of Acme reads it.
    await request(app.url).get(`/v1/reports/${created.body.id}`).set(acme.auth).expect(200);

    // Signing in from a foreign page is refused too.
    const crossSite = await request(app.url)
      .post('/v1/session')
      .set('Origin', 'https://evil.example')
      .send({ email: 'bob@example.com', password: memberPassword })
      .expect(403);
    expect(crossSite.body.error.code).toBe('CSRF_FAILED');
  });

  it('refuses a member the admin routes (403 FORBIDDEN_ROLE); an admin lists and adds people, and the new password signs in', async () => {
    const bob = await signIn('bob@example.com', memberPassword);
    const refused = await request(app.url).get('/v1/users').set('Cookie', bob.cookie).expect(403);
    expect(refused.body.error.code).toBe('FORBIDDEN_ROLE');

    const ana = await signIn('ana@example.com', adminPassword);
    const list = await request(app.url).get('/v1/users').set('Cookie', ana.cookie).expect(200);
    const emails = (list.body as { email: string }[]).map((u) => u.email);
    expect(emails).toEqual(expect.arrayContaining(['ana@example.com', 'bob@example.com']));
    expect(JSON.stringify(list.body)).not.toMatch(/argon2|password/i);
    const bobRow = (list.body as { email: string; projects: { slug: string }[] }[]).find(
      (u) => u.email === 'bob@example.com',
    );
    expect(bobRow?.projects.map((p) => p.slug)).toEqual([acme.project.slug]);

    const created = await request(app.url)
      .post('/v1/users')
      .set('Cookie', ana.cookie)
      .set('X-CSRF-Token', ana.csrf)
      .send({ email: 'dan@example.com', role: 'member', projects: [globex.project.slug] })
      .expect(201);
    expect(created.body.password).toMatch(/^[\w-]{24}$/);
    const dan = await signIn('dan@example.com', created.body.password as string);
    expect(dan.body.projects.map((p) => p.slug)).toEqual([globex.project.slug]);

    const taken = await request(app.url)
      .post('/v1/users')
      .set('Cookie', ana.cookie)
      .set('X-CSRF-Token', ana.csrf)
      .send({ email: 'DAN@example.com', role: 'member' })
      .expect(400);
    expect(taken.body.error.details.fields).toEqual([expect.objectContaining({ field: 'email' })]);

    // A project's API key passes the role check but may not mint an admin.
    const byKey = await request(app.url)
      .post('/v1/users')
      .set(acme.auth)
      .send({ email: 'eve@example.com', role: 'admin' })
      .expect(403);
    expect(byKey.body.error.code).toBe('FORBIDDEN_ROLE');
  });

  it('turns a person off and on, and gives them a new password: their sessions end at once', async () => {
    const ana = await signIn('ana@example.com', adminPassword);
    const asAna = (req: request.Test) =>
      req.set('Cookie', ana.cookie).set('X-CSRF-Token', ana.csrf);
    const created = await asAna(request(app.url).post('/v1/users'))
      .send({ email: 'hana.off@example.com', role: 'member', projects: [acme.project.slug] })
      .expect(201);
    const hanaId = created.body.id as string;
    const hana = await signIn('hana.off@example.com', created.body.password as string);

    const off = await asAna(request(app.url).patch(`/v1/users/${hanaId}`))
      .send({ disabled: true })
      .expect(200);
    expect(off.body).toMatchObject({ email: 'hana.off@example.com', disabled: true });
    await request(app.url).get('/v1/session').set('Cookie', hana.cookie).expect(401);
    const refused = await request(app.url)
      .post('/v1/session')
      .send({ email: 'hana.off@example.com', password: created.body.password as string })
      .expect(401);
    expect(refused.body.error.code).toBe('INVALID_CREDENTIALS');

    await asAna(request(app.url).patch(`/v1/users/${hanaId}`))
      .send({ disabled: false })
      .expect(200);
    const back = await signIn('hana.off@example.com', created.body.password as string);

    const reset = await asAna(request(app.url).post(`/v1/users/${hanaId}/password`)).expect(201);
    expect(reset.body.password).toMatch(/^[\w-]{24}$/);
    expect(reset.body.password).not.toBe(created.body.password);
    await request(app.url).get('/v1/session').set('Cookie', back.cookie).expect(401);
    await request(app.url)
      .post('/v1/session')
      .send({ email: 'hana.off@example.com', password: created.body.password as string })
      .expect(401);
    await signIn('hana.off@example.com', reset.body.password as string);

    // Nobody turns themselves off; a project's API key changes no one; a bad body names its field.
    const self = await asAna(request(app.url).patch(`/v1/users/${ana.body.user.id}`))
      .send({ disabled: true })
      .expect(400);
    expect(self.body.error.details.fields).toEqual([
      expect.objectContaining({ field: 'disabled' }),
    ]);
    const byKey = await request(app.url)
      .post(`/v1/users/${hanaId}/password`)
      .set(acme.auth)
      .expect(403);
    expect(byKey.body.error.code).toBe('FORBIDDEN_ROLE');
    const bad = await asAna(request(app.url).patch(`/v1/users/${hanaId}`))
      .send({ disabled: 'yes' })
      .expect(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('disabled');
    await asAna(request(app.url).patch('/v1/users/00000000-0000-4000-8000-000000000000'))
      .send({ disabled: true })
      .expect(404);
  });

  it('ends a session past its expiry or left idle: 401', async () => {
    const bob = await signIn('bob@example.com', memberPassword);
    await h.db
      .getRepository(UserSession)
      .createQueryBuilder()
      .update()
      .set({ expiresAt: () => "now() - interval '1 minute'" })
      .where('csrf_token = :csrf', { csrf: bob.csrf })
      .execute();
    const expired = await request(app.url).get('/v1/session').set('Cookie', bob.cookie).expect(401);
    expect(expired.body.error.code).toBe('UNAUTHORIZED');
    await request(app.url).get('/v1/projects/current').set('Cookie', bob.cookie).expect(401);

    const idle = await signIn('bob@example.com', memberPassword);
    await h.db
      .getRepository(UserSession)
      .createQueryBuilder()
      .update()
      .set({ lastSeenAt: () => "now() - interval '13 hours'" })
      .where('csrf_token = :csrf', { csrf: idle.csrf })
      .execute();
    await request(app.url).get('/v1/session').set('Cookie', idle.cookie).expect(401);
  });

  it('signs out: 204, the cookie cleared, the session gone, and the old cookie is refused', async () => {
    const bob = await signIn('bob@example.com', memberPassword);
    await request(app.url).delete('/v1/session').set('Cookie', bob.cookie).expect(403);
    const out = await request(app.url)
      .delete('/v1/session')
      .set('Cookie', bob.cookie)
      .set('X-CSRF-Token', bob.csrf)
      .expect(204);
    const setCookie = ([] as string[]).concat(out.headers['set-cookie'] ?? []);
    expect(setCookie[0]).toMatch(/^repro_session=; Max-Age=0;/);
    expect(await h.db.getRepository(UserSession).countBy({ csrfToken: bob.csrf })).toBe(0);
    const after = await request(app.url).get('/v1/session').set('Cookie', bob.cookie).expect(401);
    expect(after.body.error.code).toBe('UNAUTHORIZED');
  });

  it('repro users create prints a generated password once, and it signs in; --password-stdin takes one', async () => {
    const run = async (args: string[], stdin?: string) => {
      let stdout = '';
      let stderr = '';
      const io: UsersIo = {
        env: h.env,
        out: (text) => (stdout += text),
        err: (text) => (stderr += text),
        readStdin: stdin === undefined ? undefined : () => Promise.resolve(stdin),
      };
      const code = await runCli(args, io);
      return { code, stdout, stderr };
    };
    const created = await run(['users', 'create', '--email', 'fay@example.com', '--name', 'Fay']);
    expect(created.code).toBe(0);
    const password = created.stdout.trim();
    expect(password).toMatch(/^[\w-]{24}$/);
    expect(created.stderr).toContain('Created member fay@example.com (default)');
    expect(created.stderr).not.toContain(password);
    await signIn('fay@example.com', password);

    const chosen = 'a long chosen passphrase';
    const admin = await run(
      ['users', 'create', '--email', 'gus@example.com', '--admin', '--password-stdin'],
      `${chosen}\n`,
    );
    expect(admin).toMatchObject({ code: 0, stdout: '' });
    expect(admin.stderr).toContain('Created admin gus@example.com (every project)');
    const gus = await signIn('gus@example.com', chosen);
    expect(gus.body.user.role).toBe('admin');

    const short = await run(
      ['users', 'create', '--email', 'hal@example.com', '--password-stdin'],
      'short\n',
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password: must be at least 12 characters');

    const list = await run(['users', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^gus@example\.com\tadmin\t\*\tactive\t/m);
    expect(list.stdout).toMatch(/^fay@example\.com\tmember\tdefault\tactive\tFay$/m);
    expect(list.stdout).not.toContain('argon2');
    const stored = await h.db
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: 'gus@example.com' })
      .getOneOrFail();
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
  });
});
