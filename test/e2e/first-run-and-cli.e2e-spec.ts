import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { ApiKey } from '../../src/modules/projects/entities/api-key.entity';
import { Project } from '../../src/modules/projects/entities/project.entity';
import { adminQuery, databaseUrl } from '../support/databases';
import { createHarness, type Harness, waitFor } from '../support/harness';
import { freePort, reproBin, reproInProcess, runEntrypoint } from '../support/process';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/** Runs the `repro` command in-process, against the given environment only. */
const repro = (args: string[], env: Record<string, string>) => reproInProcess(args, env);

describe('first run and the repro command', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('creates the default project on first start, returns its key once, and stores only a hash', async () => {
    const first = await h.start('api');
    expect(first.firstKey?.key).toMatch(/^repro_[a-z0-9]{10}_/);
    const key = first.firstKey!.key;
    await request(first.url).get('/v1/tickets').set('Authorization', `Bearer ${key}`).expect(200);
    await first.close();

    const second = await h.start('api');
    expect(second.firstKey).toBeNull();
    expect(await h.db.getRepository(Project).countBy({ slug: 'default' })).toBe(1);
    const stored: unknown[] = await h.db.query('SELECT * FROM api_keys');
    const secret = key.slice(first.firstKey!.prefix.length + 1);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(stored)).not.toContain(secret);
    await second.close();
  });

  it('npm start on an empty machine creates the database, prints the first key once, and stops cleanly on SIGTERM', async () => {
    const name = `repro_boot_${randomBytes(4).toString('hex')}`;
    const env = { ...h.env, DATABASE_URL: databaseUrl(name), LOG_LEVEL: 'info' };
    try {
      const port = await freePort();
      const first = runEntrypoint('src/main.ts', { ...env, PORT: String(port) });
      const key = await waitFor(
        () => /repro_[a-z0-9]{10}_[A-Za-z0-9_-]{43}/.exec(first.output())?.[0],
        {
          timeoutMs: 30_000,
          what: 'the first API key on stdout',
        },
      );
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        what: 'readiness',
      });
      const res = await fetch(`http://127.0.0.1:${port}/v1/tickets`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      // Credentials in headers and signed-link query strings never reach the logs.
      const sig = 'S'.repeat(43);
      const replay = await fetch(
        `http://127.0.0.1:${port}/replay/2f6c1d1e-3a55-4a0e-9d8e-0a4c1a3c9b10?t=0&exp=9999999999&sig=${sig}`,
      );
      expect(replay.status).toBe(401);
      await waitFor(() => first.output().includes('sig=[redacted]'), {
        what: 'the replay request log line',
      });
      expect(first.output()).not.toContain(sig);
      first.proc.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      // The key is printed, never logged as a JSON line.
      const logLines = first
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.some((l) => l.includes(key))).toBe(false);
      expect(logLines.some((l) => l.includes('"authorization":"[redacted]"'))).toBe(true);
      // Every request's log line carries its request id.
      const ticketsLine = logLines.find((l) => l.includes('"url":"/v1/tickets"'));
      expect(JSON.parse(ticketsLine!)).toMatchObject({
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });

      const second = runEntrypoint('src/main.ts', { ...env, PORT: String(port) });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        timeoutMs: 30_000,
        what: 'second start',
      });
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(second.output()).not.toMatch(/repro_[a-z0-9]{10}_[A-Za-z0-9_-]{43}/);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('keys create prints a working key; keys revoke <prefix> stops it; keys list shows no secret', async () => {
    const app = await h.start('api');
    const env = { ...h.env, MIGRATIONS_RUN: 'true' };
    const created = await repro(['keys', 'create', '--label', 'deploy script'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^repro_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    await request(app.url).get('/v1/tickets').set('Authorization', `Bearer ${key}`).expect(200);

    const prefix = key.split('_').slice(0, 2).join('_');
    const listed = await repro(['keys', 'list'], env);
    expect(listed.stdout).toContain(prefix);
    expect(listed.stdout).toContain('deploy script');
    expect(listed.stdout).not.toContain(key);

    const revoked = await repro(['keys', 'revoke', prefix], env);
    expect(revoked).toMatchObject({ code: 0 });
    const refused = await request(app.url)
      .get('/v1/tickets')
      .set('Authorization', `Bearer ${key}`)
      .expect(401);
    expect(refused.body.error.code).toBe('UNAUTHORIZED');
    expect(await h.db.getRepository(ApiKey).countBy({ prefix })).toBe(1);

    const again = await repro(['keys', 'revoke', prefix], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('No live key');
  });

  it("tracker sets a project's destination choices and keeps what it was not told", async () => {
    const env = { ...h.env, MIGRATIONS_RUN: 'true' };
    const first = await repro(['tracker', '--labels', 'bug, customer', '--state', 'Triage'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ labels: ['bug', 'customer'], state: 'Triage' });
    const second = await repro(['tracker', '--team', 'OPS'], env);
    expect(JSON.parse(second.stdout)).toEqual({
      labels: ['bug', 'customer'],
      state: 'Triage',
      team: 'OPS',
    });
    const project = await h.db.getRepository(Project).findOneByOrFail({ slug: 'default' });
    expect(project.trackerConfig).toEqual({
      labels: ['bug', 'customer'],
      state: 'Triage',
      team: 'OPS',
    });
    const bad = await repro(['tracker', '--repo', 'not a repo'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid fields');
  });

  it('keys create on a machine with no database yet creates it, migrates it and prints the default key', async () => {
    const name = `repro_cli_${randomBytes(4).toString('hex')}`;
    try {
      // The shipped command, as `docker compose exec api node bin/repro.js keys create` runs it.
      const created = await reproBin(['keys', 'create'], {
        ...h.env,
        DATABASE_URL: databaseUrl(name),
      });
      expect(created.code).toBe(0);
      expect(created.stdout.trim()).toMatch(/^repro_[a-z0-9]{10}_/);
      expect(created.stderr).toContain('for project default');
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('refuses to boot on a bad variable, naming it and never echoing secret values', async () => {
    const { stderr, code } = await run(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'src', 'main.ts')],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: 'eighty',
          ADMIN_TOKEN: 'short-secret',
          DATABASE_URL: h.env.DATABASE_URL,
        },
      },
    ).then(
      () => ({ stderr: '', code: 0 }),
      (error: { stderr: string; code: number }) => error,
    );
    expect(code).toBe(78);
    expect(stderr).toContain('PORT must be a number');
    expect(stderr).toContain('ADMIN_TOKEN must be at least 16 characters');
    expect(stderr).not.toContain('short-secret');
  });

  it('repro --help lists every command, through the shipped bin/repro.js', async () => {
    const help = await reproBin(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    for (const command of ['tracker', 'policy', 'triage', 'keys', 'analyze', 'eval']) {
      expect(help.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    }
    const keys = await reproBin(['keys', '--help']);
    expect(keys.stdout).toMatch(/^ {2}create \[options\]/m);
    const unknown = await reproBin(['bogus']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'bogus'");
  });
});
