import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FACT_KEYS } from '../../src/modules/triage/engine/triage.types';
import { DEFAULT_POLICY } from '../../src/modules/projects/policy';
import type { DryRunResult } from '../../src/modules/intake/triage-dry-run';
import { dataSourceOptions } from '../../src/database/data-source';
import { Project } from '../../src/modules/projects/entities/project.entity';
import { createProject } from '../factories/project.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createTestDatabase, databaseUrl, TEST_PG_URL } from '../support/databases';
import { reproBin, reproInProcess, ROOT } from '../support/process';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'triage');
const fixture = (name: string) => join(FIXTURES, name);

/** Nothing listens on port 1: every triage run here would fail if it touched the database. */
const NO_DATABASE = 'postgres://postgres@127.0.0.1:1/none';

/**
 * Runs `repro` in-process. The environment is built from scratch, so no OPENAI_API_KEY
 * leaks in from the shell and the deterministic engine is what runs.
 */
async function repro(args: string[], env: Record<string, string> = {}) {
  return reproInProcess(args, { LOG_LEVEL: 'silent', DATABASE_URL: NO_DATABASE, ...env });
}

async function triageJson(...args: string[]): Promise<DryRunResult> {
  const { code, stdout, stderr } = await repro(['triage', ...args, '--dry-run', '--json']);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout) as DryRunResult;
}

describe('repro triage --dry-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'repro-triage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The reporter picks CSV, clicks Export, the export request fails and the app logs an error.
  const session = new RrwebBuilder('https://app.acme.example/reports')
    .load(0, (b) => [
      b.el('label', { for: 'format' }, ['Format']),
      b.el('input', { id: 'format', type: 'radio', value: 'csv' }, [], 'csv'),
      b.el('button', { type: 'button' }, ['Export CSV'], 'export'),
    ])
    .click(1_000, 'csv')
    .click(2_000, 'export')
    .request(2_200, 'POST', '/api/reports/export', 500, 240)
    .consoleError(2_250, 'Export failed: Request failed with status code 500');
  const recording = join(dir, 'export-fails.json');
  writeFileSync(recording, JSON.stringify(session.events));

  it('on a vague report lists each fact with its source, asks nothing about the browser, and drafts a ticket', async () => {
    const { code, stdout, stderr } = await repro([
      'triage',
      fixture('vague-report.json'),
      '--dry-run',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Engine: deterministic');
    expect(stdout).toMatch(/^ {2}actual: export is broken {2}\[reporter, confidence \d\.\d\d\]$/im);
    expect(stdout).toMatch(
      /^ {2}where: https:\/\/app\.acme\.example\/reports\/export \(Reports · Acme\) {2}\[recording, /m,
    );
    expect(stdout).toMatch(/^ {2}environment: Chrome 126 on Windows 10 {2}\[recording, /m);
    expect(stdout).toMatch(/^ {2}steps: unknown$/m);
    for (const key of FACT_KEYS) expect(stdout).toMatch(new RegExp(`^ {2}${key}: `, 'm'));

    const questions = stdout
      .slice(stdout.indexOf('Questions it would ask'), stdout.indexOf('Decision:'))
      .split('\n')
      .filter((l) => /^ {2}\d+\. /.test(l));
    expect(questions.length).toBeGreaterThan(0);
    expect(questions.join('\n')).toMatch(/step by step/i);
    // The user agent already says Chrome 126 on Windows.
    expect(questions.join('\n')).not.toMatch(/browser|operating system/i);

    expect(stdout).toContain('Decision: ask');
    const draft = stdout.slice(stdout.indexOf('Ticket draft'));
    expect(draft).toMatch(/^# export is broken.*$/im);
    expect(draft).toContain('## Summary');
    expect(draft).toContain('> export is broken');
  });

  it('--json prints facts, questions, decision and ticket; with a recording it does not ask for the steps', async () => {
    const result = await triageJson(fixture('vague-report.json'), '--recording', recording);
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['facts', 'questions', 'decision', 'ticket']),
    );
    expect(Object.keys(result.facts).sort()).toEqual([...FACT_KEYS].sort());
    expect(result.questions.every((q) => typeof q === 'string' && q.length > 0)).toBe(true);
    expect(['ask', 'file', 'duplicate', 'escalate']).toContain(result.decision);
    expect(result.ticket).toEqual({ title: expect.any(String), body: expect.any(String) });

    expect(result.facts.steps).toMatchObject({
      source: 'recording',
      items: expect.arrayContaining(['Clicked button "Export CSV"']),
    });
    expect(result.facts.actual).toMatchObject({ source: 'recording' });
    expect(result.facts.actual?.value).toContain('500');
    expect(result.questions.join('\n')).not.toMatch(/step by step|what did you do/i);
    expect(result.questions.join('\n')).not.toMatch(/browser/i);
    expect(result.ticket.title).toContain('Export CSV');
    expect(result.ticket.body).toContain('## Steps to reproduce');
    expect(result.ticket.body).toContain('Clicked button "Export CSV"');
    expect(result.ticket.body).toContain('Export failed: Request failed with status code 500');
    expect(result.ticket.body).toContain('`POST /api/reports/export` → 500');
  });

  it('files a detailed report with a recording without asking anything', async () => {
    const result = await triageJson(fixture('detailed-report.json'), '--recording', recording);
    expect(result.decision).toBe('file');
    expect(result.questions).toEqual([]);
    expect(result.facts.expected).toMatchObject({
      source: 'reporter',
      value: expect.stringContaining('CSV file downloads'),
    });
    expect(result.facts.frequency).toMatchObject({ source: 'reporter', value: 'every time' });

    const human = await repro([
      'triage',
      fixture('detailed-report.json'),
      '--recording',
      recording,
      '--dry-run',
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Questions it would ask: none');
    expect(human.stdout).toContain('Decision: file');
  });

  it('--policy with maxQuestions 0 asks nothing; an invalid policy file fails naming the setting', async () => {
    const result = await triageJson(
      fixture('vague-report.json'),
      '--policy',
      fixture('policy-no-questions.json'),
    );
    expect(result.questions).toEqual([]);
    expect(result.decision).toBe('file');

    const bad = await repro([
      'triage',
      fixture('vague-report.json'),
      '--dry-run',
      '--policy',
      fixture('policy-invalid.json'),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('The policy file is not valid');
    expect(bad.stderr).toContain('maxQuestions');
  });

  it('stores and sends nothing: it never opens, creates or migrates a database', async () => {
    // A database that does not exist on a live server: opening it the way other commands do
    // would create and migrate it.
    const name = `repro_triage_${randomBytes(4).toString('hex')}`;
    const { code, stdout, stderr } = await repro(
      ['triage', fixture('vague-report.json'), '--recording', recording, '--dry-run'],
      { DATABASE_URL: databaseUrl(name), REDIS_URL: 'redis://127.0.0.1:1' },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Ticket draft');
    const client = new Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it("keeps a card number and someone else's email out of the draft", async () => {
    const human = await repro(['triage', fixture('pii-report.json'), '--dry-run']);
    const json = await repro(['triage', fixture('pii-report.json'), '--dry-run', '--json']);
    for (const { code, stdout } of [human, json]) {
      expect(code).toBe(0);
      expect(stdout).not.toContain('4111');
      expect(stdout).not.toContain('1111 1111');
      expect(stdout).not.toContain('bob.jones');
      expect(stdout).not.toContain('partner.example');
      expect(stdout).toContain('[card]');
    }
    const parsed = JSON.parse(json.stdout) as DryRunResult;
    expect(parsed.ticket.body).toContain('[card]');
    expect(parsed.ticket.body).toContain('[email]');
  });

  it("redacts the recording's text in the draft too", async () => {
    const leaky = new RrwebBuilder('https://app.acme.example/reports')
      .load(0, (b) => [b.el('button', { type: 'button' }, ['Export CSV'], 'export')])
      .click(1_000, 'export')
      .request(1_200, 'POST', '/api/reports/export', 500, 240)
      .consoleError(1_250, 'Export failed for carol@customer.example, card 4242-4242-4242-4242');
    const file = join(dir, 'leaky.json');
    writeFileSync(file, JSON.stringify(leaky.events));
    const parsed = await triageJson(fixture('vague-report.json'), '--recording', file);
    expect(parsed.ticket.body).toContain('Export failed for [email], card [card]');
    expect(parsed.ticket.body).not.toContain('carol@customer.example');
    expect(parsed.ticket.body).not.toContain('4242-4242');
  });

  it('refuses a report file without a string description, naming the field', async () => {
    for (const file of ['no-description.json', 'description-not-string.json']) {
      const { code, stdout, stderr } = await repro(['triage', fixture(file), '--dry-run']);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain('The report file is not a valid report');
      expect(stderr).toMatch(/^ {2}- description: /m);
    }
    const notString = await repro(['triage', fixture('description-not-string.json'), '--dry-run']);
    expect(notString.stderr).toContain('description must be a string');
  });

  it('refuses to run without --dry-run, saying why', async () => {
    const { code, stdout, stderr } = await repro(['triage', fixture('vague-report.json')]);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('only runs with --dry-run');
  });
});

describe('repro policy', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let slug: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = new DataSource({ ...dataSourceOptions(database.url), extra: { max: 2 } });
    await db.initialize();
    slug = (await createProject(db, 'Policy')).project.slug;
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const policy = (...args: string[]) =>
    repro(['policy', '-p', slug, ...args], { DATABASE_URL: database.url });
  const stored = async () =>
    (await db.getRepository(Project).findOneByOrFail({ slug })).agentPolicy;

  it('says how the default project comes about when it does not exist yet', async () => {
    const { code, stdout, stderr } = await repro(['policy', '--max-questions', '1'], {
      DATABASE_URL: database.url,
    });
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('Project "default" not found. It is created when Repro first starts');
  });

  it("sets a project's settings and prints them with the effective policy; --reset returns one to the default", async () => {
    const set = await policy('--max-questions', '1', '--approval-tiers', 'enterprise,gold');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({
      project: { maxQuestions: 1, approvalTiers: ['enterprise', 'gold'] },
      effective: { ...DEFAULT_POLICY, maxQuestions: 1, approvalTiers: ['enterprise', 'gold'] },
    });
    expect(await stored()).toEqual({ maxQuestions: 1, approvalTiers: ['enterprise', 'gold'] });

    const reset = await policy('--reset', 'maxQuestions');
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({
      project: { approvalTiers: ['enterprise', 'gold'] },
      effective: { ...DEFAULT_POLICY, approvalTiers: ['enterprise', 'gold'] },
    });
    expect(await stored()).toEqual({ approvalTiers: ['enterprise', 'gold'] });
  });

  it('sets question hints one by one, keeping the others, and refuses an empty one', async () => {
    await policy('--logs-hint', 'Help → Show Logs', '--versioned', 'yes');
    const set = await policy('--latest-hint', '4.2.0');
    expect(set.code).toBe(0);
    const hints = { logs: 'Help → Show Logs', versioned: true, latest: '4.2.0' };
    expect(JSON.parse(set.stdout).effective.questionHints).toEqual(hints);
    expect(await stored()).toMatchObject({ questionHints: hints });

    const empty = await policy('--version-hint', '   ');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('questionHints.version');
    expect((await stored())?.questionHints).toEqual(hints);

    await policy('--reset', 'questionHints');
    expect((await stored())?.questionHints).toBeUndefined();
  });

  it('refuses an invalid value, naming the setting, and stores nothing', async () => {
    await policy('--reset', 'maxQuestions,approvalTiers,approvalSeverities');
    const before = await stored();
    for (const [args, field] of [
      [['--max-questions', '99'], 'maxQuestions'],
      [['--max-questions', 'abc'], 'maxQuestions'],
      [['--approval-severities', 'critical'], 'approvalSeverities'],
      [['--allow-reporter-email', 'maybe'], '--allow-reporter-email'],
      [['--reset', 'maxQuestion'], 'maxQuestion'],
    ] as const) {
      const { code, stdout, stderr } = await policy(...args);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain(field);
    }
    expect(await stored()).toEqual(before);
  });

  it('through the shipped bin/repro.js, a value that is not a number is refused naming the setting', async () => {
    const before = await stored();
    const { code, stdout, stderr } = await reproBin(
      ['policy', '-p', slug, '--max-questions', 'abc'],
      {
        DATABASE_URL: database.url,
        LOG_LEVEL: 'silent',
      },
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('The request has invalid fields.');
    expect(stderr).toMatch(/^ {2}- maxQuestions: /m);
    expect(await stored()).toEqual(before);
  });
});
