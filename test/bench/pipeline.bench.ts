/**
 * `npm run bench:pipeline [-- --reports 1000] [--concurrency 16] [--baseline-concurrency 4]
 *   [--cpu-prof <dir>] [--no-recordings] [--timeout-s 900]`
 *
 * Pipeline throughput: `--reports` reports (half with a small rrweb recording; two thirds each a
 * bug of its own, filed as a new ticket, one third near-identical reports of three bugs, merged
 * as duplicates) are posted to the API in this process while no worker runs; then the worker
 * (its own process, `src/main.worker.ts`, as deployed) starts, and the time until every report
 * is in a final state gives reports/s. Measured twice in the same run, each on a fresh database:
 * first with the previous settings (`WORKER_CONCURRENCY=--baseline-concurrency`), then with the
 * configuration's own (or `--concurrency`); prints both and the ratio. `--cpu-prof <dir>` writes
 * the worker's CPU profile of the second run there (open it in Chrome DevTools).
 *
 * The goal (issue 13): at least 30 reports/s on a 2-core machine. Exit code 1 when it is missed.
 */
import { randomInt } from 'node:crypto';
import { reportPayload, rrwebEvents } from '../factories/report.factory';
import { BURST_BUGS, burstReport } from './burst-reports';
import {
  createWorld,
  finalStatuses,
  machine,
  option,
  postAll,
  prepareTemplate,
  untilFinal,
} from './pipeline-run';

const GOAL = 30;
const SYLLABLES = 'ka lo vex tam sin pri do mur zen qua fel rho bi nox tel gar'.split(' ');

/** A made-up word: 16.7 million of them, so that 1,000 distinct bugs (4,000 words) share none. */
function word(): string {
  return Array.from({ length: 6 }, () => SYLLABLES[randomInt(SYLLABLES.length)]).join('');
}

function payloads(count: number, recordings: boolean): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => {
    const recording = recordings && i % 2 === 0 ? { events: rrwebEvents() } : {};
    if (i % 3 === 2)
      return { ...burstReport(BURST_BUGS[Math.floor(i / 3) % BURST_BUGS.length], i), ...recording };
    const name = word();
    // A bug of its own, in made-up words on a page of its own: with one page and eight verbs for
    // all, two of them shared "the same page" or a verb, a possible duplicate for a person once
    // the first was filed (as reports arriving over time are decided).
    const page = word();
    return reportPayload({
      description: `${name[0].toUpperCase()}${name.slice(1)} ${word()}s the ${word()} ${word()}\nIt happened twice today.`,
      page: { url: `https://app.acme.example/${page}`, title: `${page} · Acme` },
      ...recording,
    });
  });
}

interface Run {
  label: string;
  concurrency: number;
  seconds: number;
  perSecond: number;
  outcome: Map<string, number>;
}

async function measure(
  label: string,
  count: number,
  env: Record<string, string>,
  timeoutMs: number,
  cpuProfileDir?: string,
): Promise<Run> {
  const world = await createWorld(env);
  try {
    await postAll(world, payloads(count, !process.argv.includes('--no-recordings')), 16);
    const started = Date.now();
    await world.startWorker({}, cpuProfileDir);
    const seconds = await untilFinal(world, started, timeoutMs);
    const outcome = new Map<string, number>();
    for (const status of (await finalStatuses(world)).values())
      outcome.set(status, (outcome.get(status) ?? 0) + 1);
    const concurrency = Number(env.WORKER_CONCURRENCY ?? world.h.config.WORKER_CONCURRENCY);
    return { label, concurrency, seconds, perSecond: count / seconds, outcome };
  } finally {
    await world.close();
  }
}

async function main(): Promise<void> {
  const count = Number(option('--reports') ?? 1000);
  const timeoutMs = Number(option('--timeout-s') ?? 900) * 1000;
  const baselineConcurrency = option('--baseline-concurrency') ?? '4';
  const current = option('--concurrency');
  const cpuProfileDir = option('--cpu-prof');
  console.log(
    `bench:pipeline: ${count} reports (half with a recording, a third duplicates), queued, then drained by one worker process; ${machine()}`,
  );
  const dropTemplate = await prepareTemplate();
  try {
    const runs = [
      await measure(
        'baseline (previous settings)',
        count,
        { WORKER_CONCURRENCY: baselineConcurrency },
        timeoutMs,
      ),
      await measure(
        'current',
        count,
        current ? { WORKER_CONCURRENCY: current } : {},
        timeoutMs,
        cpuProfileDir,
      ),
    ];
    for (const run of runs) {
      const outcome = [...run.outcome].map(([s, n]) => `${n} ${s}`).join(', ');
      console.log(
        `  ${run.label.padEnd(30)} WORKER_CONCURRENCY=${String(run.concurrency).padEnd(3)} ${run.seconds.toFixed(1).padStart(7)} s  ${run.perSecond.toFixed(1).padStart(6)} reports/s  (${outcome})`,
      );
    }
    const [baseline, now] = runs;
    console.log(
      `  ratio current / baseline: ${(now.perSecond / baseline.perSecond).toFixed(2)}x; goal ≥ ${GOAL} reports/s: ${now.perSecond >= GOAL ? 'met' : 'NOT met'}`,
    );
    process.exitCode = now.perSecond >= GOAL ? 0 : 1;
  } finally {
    await dropTemplate();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
