/**
 * `npm run bench:cli [-- --runs 15] [--strict]`
 *
 * Times the shipped `node bin/repro.js --help` and `node bin/repro.js analyze <small file>`
 * as a user runs them, each in its own process, beside bare Node start-up (`node -e ''`)
 * measured in the same run. Runs are interleaved, so a noisy neighbour hurts all alike; the
 * figures are medians. bin/repro.js runs dist/ when it is built and newer than the sources
 * (`npm run build` first to measure that), else the sources; the report says which.
 *
 * Targets (issue 12): --help under 300 ms, analyze on a small file under 600 ms on a 2-core
 * machine. Exit code 0 unless `--strict` and a target fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RrwebBuilder } from '../factories/rrweb-builder';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'repro.js');

interface Case {
  name: string;
  args: string[];
  targetMs?: number;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** What bin/repro.js will run, by the same rule it applies. */
function mode(): string {
  const built = join(ROOT, 'dist', 'src', 'cli.js');
  if (!existsSync(built)) return 'the sources (no dist/)';
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'migrations')));
  return sources <= statSync(built).mtimeMs
    ? 'dist/ (built after the last change to the sources)'
    : 'the sources (dist/ is older than them)';
}

function timeOnce(args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const runs = Number(option('--runs') ?? 15);
  const strict = process.argv.includes('--strict');
  const dir = mkdtempSync(join(tmpdir(), 'repro-bench-cli-'));
  try {
    const session = new RrwebBuilder()
      .load(0, (b) => [
        b.el('form', {}, [b.el('button', { type: 'submit' }, ['Save changes'], 'save')]),
      ])
      .click(3_000, 'save')
      .request(3_200, 'POST', '/api/billing', 500, 240)
      .consoleError(3_250, 'Request failed with status code 500');
    const file = join(dir, 'session.json');
    writeFileSync(file, JSON.stringify(session.events));

    const cases: Case[] = [
      { name: "node -e '' (baseline)", args: ['-e', ''] },
      { name: 'repro --help', args: [BIN, '--help'], targetMs: 300 },
      { name: 'repro analyze (small file)', args: [BIN, 'analyze', file], targetMs: 600 },
    ];
    for (const c of cases) timeOnce(c.args); // warm the file cache
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) cases.forEach((c, j) => times[j].push(timeOnce(c.args)));

    const baseline = median(times[0]);
    const load = loadavg()[0].toFixed(2);
    process.stdout.write(
      `repro CLI start-up: ${runs} runs each, interleaved; load average ${load} on ${availableParallelism()} cores\n` +
        `bin/repro.js ran ${mode()}\n\n` +
        `${'command'.padEnd(30)}${'median'.padStart(10)}${'min'.padStart(10)}${'× baseline'.padStart(12)}  target\n`,
    );
    let failed = false;
    cases.forEach((c, j) => {
      const med = median(times[j]);
      const ok = c.targetMs === undefined || med < c.targetMs;
      failed ||= !ok;
      const target = c.targetMs ? `< ${c.targetMs} ms ${ok ? 'ok' : 'MISSED'}` : '';
      process.stdout.write(
        `${`${c.name.padEnd(30)}${`${med.toFixed(0)} ms`.padStart(10)}${`${Math.min(...times[j]).toFixed(0)} ms`.padStart(10)}${`${(med / baseline).toFixed(2)}×`.padStart(12)}  ${target}`.trimEnd()}\n`,
      );
    });
    if (failed && strict) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
