/**
 * `npm run bench:burst [-- --burst 1200] [--others 150] [--concurrency 32] [--timeout-s 900]`
 *
 * A burst of one bug, as a product outage sends it: `--burst` near-identical reports of one bug
 * (each with its own reference id, the way error pages print one) and `--others` reports of each
 * of two other bugs, all posted at once over HTTP (`--concurrency` clients) to the API in this
 * process while the worker (its own process, `src/main.worker.ts`) runs against a fresh database.
 * Waits until every report is in a final state, then prints per bug: reports, tickets (the goal
 * is 1 each), duplicates, reports sent to a person, failed; and the time from the first post to
 * the last final state, with reports/s.
 *
 * The goal (issue 13): a burst of one bug is one ticket. Exit code 1 when a bug got other than
 * one ticket or a report went to a person.
 */
import { BURST_BUGS, burstReport } from './burst-reports';
import {
  createWorld,
  finalStatuses,
  machine,
  option,
  postAll,
  prepareTemplate,
  ticketsOf,
  untilFinal,
} from './pipeline-run';

async function main(): Promise<void> {
  const burst = Number(option('--burst') ?? 1200);
  const others = Number(option('--others') ?? 150);
  const concurrency = Number(option('--concurrency') ?? 32);
  const timeoutMs = Number(option('--timeout-s') ?? 900) * 1000;
  const dropTemplate = await prepareTemplate();
  const world = await createWorld();
  try {
    await world.startWorker();
    const [main, ...rest] = BURST_BUGS;
    const plan = [
      ...Array.from({ length: burst }, (_, i) => ({ bug: main, n: i })),
      ...rest.flatMap((bug) => Array.from({ length: others }, (_, i) => ({ bug, n: i }))),
    ];
    // Interleaved, as customers of different bugs write at the same time.
    plan.sort(() => Math.random() - 0.5);
    console.log(
      `bench:burst: ${burst} reports of "${main.name}", ${others} each of ${rest.map((b) => `"${b.name}"`).join(' and ')}; ${concurrency} clients; ${machine()}`,
    );
    const started = Date.now();
    const ids = await postAll(
      world,
      plan.map((p) => burstReport(p.bug, p.n)),
      concurrency,
    );
    const posted = (Date.now() - started) / 1000;
    const seconds = await untilFinal(world, started, timeoutMs);
    const statuses = await finalStatuses(world);
    const tickets = await ticketsOf(world);
    let ok = true;
    console.log(`\n  posted in ${posted.toFixed(1)} s; all final after ${seconds.toFixed(1)} s`);
    console.log(
      `  ${'bug'.padEnd(14)} ${'reports'.padStart(8)} ${'tickets'.padStart(8)} ${'duplicates'.padStart(11)} ${'to a person'.padStart(12)} ${'failed'.padStart(7)}`,
    );
    for (const bug of BURST_BUGS) {
      const mine = ids.filter((_, i) => plan[i].bug === bug);
      const count = (status: string) => mine.filter((id) => statuses.get(id) === status).length;
      const keys = new Set(mine.map((id) => tickets.get(id)).filter(Boolean));
      const person = count('needs_human');
      if (keys.size !== 1 || person > 0) ok = false;
      console.log(
        `  ${bug.name.padEnd(14)} ${String(mine.length).padStart(8)} ${String(keys.size).padStart(8)} ${String(count('duplicate')).padStart(11)} ${String(person).padStart(12)} ${String(count('failed')).padStart(7)}`,
      );
    }
    console.log(
      `  throughput: ${(plan.length / seconds).toFixed(1)} reports/s to a final state (${plan.length} reports); goal: 1 ticket per bug, none to a person: ${ok ? 'met' : 'NOT met'}`,
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await world.close();
    await dropTemplate();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
