import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { fixturePath } from '../support/fixtures';
import { reproBin, reproInProcess } from '../support/process';

const analyze = (args: string[]) => reproInProcess(['analyze', ...args]);

describe('repro analyze <file>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'repro-analyze-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const session = new RrwebBuilder()
    .load(0, (b) => [
      b.el('form', {}, [
        b.el('label', { for: 'card' }, ['Card number']),
        b.el('input', { id: 'card', type: 'text' }, [], 'card'),
        b.el('button', { type: 'submit' }, ['Save changes'], 'save'),
      ]),
    ])
    .type(1_000, 'card', '4242424242424242', true)
    .click(3_000, 'save')
    .request(3_200, 'POST', '/api/billing?token=zzz', 500, 240)
    .consoleError(3_250, 'Request failed with status code 500');
  const json = Buffer.from(JSON.stringify(session.events));
  writeFileSync(join(dir, 'session.json'), json);
  writeFileSync(join(dir, 'session.json.gz'), gzipSync(json));
  writeFileSync(
    join(dir, 'session.jsonl'),
    session.events.map((e) => JSON.stringify(e)).join('\n'),
  );

  it('prints the steps, errors and failed requests as Markdown', async () => {
    const { code, stdout } = await analyze([join(dir, 'session.json')]);
    expect(code).toBe(0);
    expect(stdout).toContain('## Steps to reproduce');
    expect(stdout).toContain('2. Typed into "Card number" _(00:01.1)_');
    expect(stdout).toContain('3. Clicked button "Save changes" _(00:03.0)_');
    expect(stdout).toContain('`POST /api/billing` → 500 in 240 ms');
    expect(stdout).toContain('**Request failed with status code 500**');
    expect(stdout).toContain('## Moment of failure');
    expect(stdout).not.toContain('zzz');
    expect(stdout).not.toContain('4242');
  });

  it('reads .json, .json.gz and .jsonl alike, and --json prints the documented fields', async () => {
    const outputs = await Promise.all(
      ['session.json', 'session.json.gz', 'session.jsonl'].map((f) =>
        analyze([join(dir, f), '--json']),
      ),
    );
    const parsed = outputs.map((o) => JSON.parse(o.stdout));
    expect(parsed[1]).toEqual(parsed[0]);
    expect({ ...parsed[2], stats: null }).toEqual({ ...parsed[0], stats: null });
    const analysis = parsed[0];
    expect(analysis.steps[2]).toMatchObject({ t: 3_041, text: 'Clicked button "Save changes"' });
    expect(analysis.errors).toEqual([
      expect.objectContaining({
        t: 3_250,
        level: 'error',
        message: 'Request failed with status code 500',
      }),
    ]);
    expect(analysis.failure).toEqual(
      expect.objectContaining({ t: 3_200, url: 'https://app.acme.example/settings/billing' }),
    );
    expect(analysis.stats).toEqual({
      events: session.events.length,
      bytes: json.length,
      ms: 3_250,
    });
    expect(Object.keys(analysis)).toEqual(
      expect.arrayContaining([
        'steps',
        'errors',
        'signals',
        'failure',
        'environment',
        'stats',
        'failedRequests',
        'timeline',
        'uninterpreted',
      ]),
    );
  });

  it('analyses a real PostHog recording (vendored in test/fixtures)', async () => {
    const fixture = fixturePath('rrweb', 'posthog-recording-window1.events.json');
    const { code, stdout } = await analyze([fixture]);
    expect(code).toBe(0);
    expect(stdout).toContain('Clicked button "Capture event" 4 times');
    expect(readFileSync(fixture).length).toBeGreaterThan(0);
  });

  it('fails with a clear message for a missing file', async () => {
    const { code, stderr } = await analyze([join(dir, 'nope.json')]);
    expect(code).toBe(1);
    expect(stderr).toContain('no such file');
  });

  it('runs the same through the shipped bin/repro.js, exiting 1 for a missing file', async () => {
    const shipped = await reproBin(['analyze', join(dir, 'session.json')]);
    expect(shipped).toEqual(await analyze([join(dir, 'session.json')]));
    expect(shipped.stdout).toContain('3. Clicked button "Save changes" _(00:03.0)_');
    const missing = await reproBin(['analyze', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
  });
});
