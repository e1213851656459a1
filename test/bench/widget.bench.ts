/**
 * `npm run bench:widget [-- --seconds 20] [--rounds 2] [--minutes 0] [--cpu-prof <file>]`
 *
 * The in-app widget's budgets (issue 14), measured in one run on this machine:
 *
 * - **Script size**: `dist/widget/repro.js` gzipped, against the 60 KB budget and against rrweb's
 *   recorder alone (`@rrweb/record`'s minified bundle, gzipped) as a ratio.
 * - **Recording cost**: a heavy page (a 3,000-row table whose cells change ten times a second,
 *   re-sorted every 3 s, scrolled continuously) in real Chromium for `--seconds`, once without
 *   the widget and once with it, `--rounds` times alternately; prints the main thread's busy time
 *   (Chrome's TaskDuration) of each and the time the widget adds, as a share of the page's own.
 *   Aim: under 10 %.
 * - **Buffer memory**: with `--minutes N`, the same page runs N minutes with the widget; prints the
 *   size of the widget's stored buffer (IndexedDB, or sessionStorage where it fell back) and the
 *   page's JS heap after a garbage collection against the page without it. (The issue asks for
 *   10 minutes: `--minutes 10`.)
 * - **Where the time goes**: with `--cpu-prof <file>`, one more run with an unminified build of the
 *   widget under the DevTools profiler; prints the sampled time by source module (rrweb's recorder,
 *   the console plugin, each widget/src file, the page's own script, GC) and the busiest functions,
 *   and writes the profile to <file> (open it in Chrome DevTools).
 *
 * Builds the widget itself into a scratch folder; needs Debian's chromium at /usr/bin/chromium.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM, buildWidget } from '../support/browser';

const ROOT = resolve(__dirname, '../..');
const BUDGET_GZIP_BYTES = 60 * 1024;
const TARGET_ADDED_SHARE = 0.1;

function textOption(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i === -1 ? null : (process.argv[i + 1] ?? null);
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} wants a number`);
  return value;
}

/** The heavy page; `widget` is the widget's script URL, if any. Driven by its own timers. */
function heavyPage(widget: string | null): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dashboard</title>
<style>body{font:13px system-ui;margin:0} td{padding:2px 6px;border-bottom:1px solid #ddd}</style>
${widget ? `<script src="${widget}" data-repro-key="pk_bench_key_0000000000" async></script>` : ''}
</head><body><h1>Live positions</h1><input id="filter" placeholder="Filter"><table><tbody id="rows"></tbody></table>
<script>
var rows = document.getElementById('rows');
for (var i = 0; i < 3000; i++) {
  var tr = document.createElement('tr');
  for (var c = 0; c < 6; c++) {
    var td = document.createElement('td');
    td.textContent = c === 0 ? 'ACME-' + i : (Math.random() * 1000).toFixed(2);
    tr.appendChild(td);
  }
  rows.appendChild(tr);
}
var cells = rows.getElementsByTagName('td');
setInterval(function () {
  for (var k = 0; k < 300; k++) {
    var cell = cells[(Math.random() * cells.length) | 0];
    cell.textContent = (Math.random() * 1000).toFixed(2);
  }
}, 100);
setInterval(function () {
  var list = Array.prototype.slice.call(rows.children);
  list.sort(function (a, b) { return Number(a.children[1].textContent) - Number(b.children[1].textContent); });
  list.forEach(function (tr) { rows.appendChild(tr); });
}, 3000);
var down = 1;
setInterval(function () {
  window.scrollBy(0, 40 * down);
  if (window.scrollY + innerHeight >= document.body.scrollHeight - 5 || window.scrollY <= 0) down = -down;
}, 50);
</script></body></html>`;
}

/** /without, /with (the built widget) and /with-named (`namedJs`, the unminified build). */
async function serve(
  widgetJs: Buffer,
  namedJs: () => string,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/repro.js' || req.url === '/repro-named.js') {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(req.url === '/repro.js' ? widgetJs : namedJs());
      return;
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    const src = { '/with': '/repro.js', '/with-named': '/repro-named.js' }[req.url ?? ''] ?? null;
    res.end(heavyPage(src));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Sample {
  /** Main-thread busy seconds (Chrome's TaskDuration) over the measured window. */
  taskS: number;
  scriptS: number;
  heapMb: number;
  buffer: { kb: number; where: string };
}

/** Chrome's performance counters for `page`, read through one DevTools session. */
async function counters(page: Page): Promise<() => Promise<Record<string, number>>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  return async () => {
    const { metrics: list } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(list.map((m) => [m.name, m.value]));
  };
}

/**
 * The widget's stored buffer, in KB: every value in the origin's IndexedDB databases (strings by
 * length, anything else as JSON) plus sessionStorage (UTF-16, two bytes a character).
 */
function storedBuffer(page: Page): Promise<{ kb: number; where: string }> {
  // A string: this file is compiled for Node, without the DOM's types.
  return page.evaluate(`(async () => {
    const size = (v) => (typeof v === 'string' ? v.length : JSON.stringify(v).length);
    let idb = 0;
    for (const { name } of (await indexedDB.databases?.()) ?? []) {
      const db = await new Promise((ok, ko) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => ok(open.result);
        open.onerror = () => ko(open.error);
      });
      for (const store of db.objectStoreNames) {
        const values = await new Promise((ok, ko) => {
          const get = db.transaction(store).objectStore(store).getAll();
          get.onsuccess = () => ok(get.result);
          get.onerror = () => ko(get.error);
        });
        for (const value of values) idb += size(value);
      }
      db.close();
    }
    let session = 0;
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      session += (key.length + (sessionStorage.getItem(key) || '').length) * 2;
    }
    const where = [idb ? 'IndexedDB' : '', session > 1024 ? 'sessionStorage' : '']
      .filter(Boolean)
      .join(' + ');
    return { kb: (idb + session) / 1024, where: where || 'nothing' };
  })()`);
}

/** The profile's sampled time by source module and by function (see `--cpu-prof`). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Sampled time (µs) by source module and by function; builtins charged to their JS caller. */
function attribute(
  profile: CpuProfile,
  namedJs: string,
): { byModule: Map<string, number>; byFunction: Map<string, number> } {
  // esbuild's unminified bundle marks each module with a `// path` line: line → module.
  const modules: { line: number; name: string }[] = [];
  namedJs.split('\n').forEach((text, line) => {
    // (node_modules may be reached through a symlink: `// ../main/node_modules/...`)
    const m = /^\s*\/\/ (?:\S*\/)?(node_modules\/(?:@[^/]+\/)?[^/]+|widget\/src\/\S+)/.exec(text);
    if (m) modules.push({ line, name: m[1] });
  });
  const moduleAt = (line: number) => {
    let name = 'widget (bundle)';
    for (const m of modules) if (m.line <= line) name = m.name;
    return name;
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) =>
    map.set(key, (map.get(key) ?? 0) + us);
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    let node = byId.get(id);
    const own = node?.callFrame.functionName || '(anonymous)';
    // Builtins (JSON.stringify, DOM calls) have no URL: charge them to the script that called them.
    while (node && !node.callFrame.url && parent.has(node.id)) {
      const up = byId.get(parent.get(node.id) ?? -1);
      if (!up || up.callFrame.functionName === '(root)') break;
      node = up;
    }
    if (!node) return;
    const { url, functionName, lineNumber } = node.callFrame;
    const module = url.endsWith('/repro-named.js')
      ? moduleAt(lineNumber)
      : url
        ? 'the page'
        : functionName || '(native)';
    if (module === '(idle)') return;
    add(byModule, module, us);
    const fn = functionName || '(anonymous)';
    add(byFunction, `${fn}${own !== fn ? ` → ${own}` : ''} [${module}]`, us);
  });
  return { byModule, byFunction };
}

/** The profile with the widget against the one without, by module, and its busiest functions. */
function summarise(
  withWidget: CpuProfile,
  without: CpuProfile,
  namedJs: string,
  seconds: number,
): string {
  const w = attribute(withWidget, namedJs);
  const base = attribute(without, namedJs).byModule;
  const s = (us: number) => `${(us / 1e6).toFixed(2).padStart(6)} s`;
  const modules = [...new Set([...w.byModule.keys(), ...base.keys()])]
    .map((k) => [k, w.byModule.get(k) ?? 0, base.get(k) ?? 0] as const)
    .sort((a, b) => b[1] - b[2] - (a[1] - a[2]));
  const functions = [...w.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return [
    `CPU profile of the page with the widget (unminified build) and without, ${seconds} s each, sampled time without idle:`,
    `  by module (with, without, added):`,
    ...modules.map(([k, a, b]) => `    ${s(a)} ${s(b)} ${s(a - b)}  ${k}`),
    `    ${s(total(w.byModule))} ${s(total(base))} ${s(total(w.byModule) - total(base))}  total`,
    '  busiest functions with the widget (caller → builtin):',
    ...functions.map(([k, us]) => `    ${s(us)}  ${k}`),
    '',
  ].join('\n');
}

async function run(
  browser: Browser,
  url: string,
  seconds: number,
  profileTo?: (profile: CpuProfile) => void,
): Promise<Sample> {
  // A context each: the widget's IndexedDB and sessionStorage start empty.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url);
  // The page built and the widget (if any) started: measure the steady state.
  await page.waitForTimeout(2_000);
  const read = await counters(page);
  const cdp = await context.newCDPSession(page);
  if (profileTo) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const before = await read();
  await page.waitForTimeout(seconds * 1000);
  const after = await read();
  if (profileTo) profileTo((await cdp.send('Profiler.stop')).profile as unknown as CpuProfile);
  // The heap that stays: what a collection leaves.
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await read();
  const sample = {
    taskS: after.TaskDuration - before.TaskDuration,
    scriptS: after.ScriptDuration - before.ScriptDuration,
    heapMb: heap.JSHeapUsedSize / 2 ** 20,
    buffer: await storedBuffer(page),
  };
  await context.close();
  return sample;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function main(): Promise<void> {
  const seconds = option('--seconds', 20);
  const rounds = Math.max(1, Math.round(option('--rounds', 2)));
  const minutes = option('--minutes', 0);
  const cpuProf = textOption('--cpu-prof');
  const out = mkdtempSync(join(tmpdir(), 'repro-bench-widget-'));
  let server: Server | null = null;
  let browser: Browser | null = null;
  try {
    buildWidget(out);
    const widgetJs = readFileSync(join(out, 'repro.js'));
    const widgetGz = gzipSync(widgetJs, { level: 9 }).length;
    const rrwebGz = gzipSync(
      readFileSync(join(ROOT, 'node_modules/@rrweb/record/dist/record.umd.min.cjs')),
      { level: 9 },
    ).length;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    process.stdout.write(
      [
        `bench:widget on ${process.arch}, load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
        '',
        `Script size (gzip -9): widget ${kb(widgetGz)} (${kb(widgetJs.length)} minified); @rrweb/record alone ${kb(rrwebGz)}; ratio ${(widgetGz / rrwebGz).toFixed(2)}×; budget ${kb(BUDGET_GZIP_BYTES)}: ${widgetGz <= BUDGET_GZIP_BYTES ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );

    let namedJs = '';
    if (cpuProf) {
      const named = await build({
        absWorkingDir: ROOT,
        entryPoints: ['widget/src/iife.ts'],
        bundle: true,
        format: 'iife',
        target: ['es2020'],
        write: false,
        logLevel: 'silent',
      });
      namedJs = named.outputFiles[0].text;
    }
    const served = await serve(widgetJs, () => namedJs);
    server = served.server;
    browser = await chromium.launch(CHROMIUM);
    const without: Sample[] = [];
    const withWidget: Sample[] = [];
    for (let r = 0; r < rounds; r++) {
      without.push(await run(browser, `${served.url}/without`, seconds));
      withWidget.push(await run(browser, `${served.url}/with`, seconds));
    }
    // The widget's own work is script (rrweb's observers, the buffer's upkeep); the page's is
    // script, style, layout and paint. Busy time alone hides the cost: a page starved by the
    // widget renders fewer frames, so its total can even drop.
    const base = median(without.map((s) => s.taskS));
    const added = median(withWidget.map((s) => s.scriptS)) - median(without.map((s) => s.scriptS));
    const share = added / base;
    process.stdout.write(
      [
        `Recording cost on a heavy page (3,000 rows, 300 cells changed every 100 ms, re-sorted every 3 s, scrolled), ${seconds} s × ${rounds} rounds:`,
        `  main thread busy without the widget: ${without.map((s) => `${s.taskS.toFixed(2)} s`).join(', ')} (script ${without.map((s) => s.scriptS.toFixed(2)).join(', ')} s)`,
        `  main thread busy with the widget:    ${withWidget.map((s) => `${s.taskS.toFixed(2)} s`).join(', ')} (script ${withWidget.map((s) => s.scriptS.toFixed(2)).join(', ')} s)`,
        `  script time added by the widget: ${added.toFixed(2)} s, ${(share * 100).toFixed(1)} % of the page's own main-thread time (aim < ${TARGET_ADDED_SHARE * 100} %: ${share < TARGET_ADDED_SHARE ? 'met' : 'NOT met'})`,
        `  script time with the widget, each round against the median without: ${withWidget.map((s) => `${(((s.scriptS - median(without.map((w) => w.scriptS))) / base) * 100).toFixed(1)} %`).join(', ')}`,
        `  JS heap after GC: ${median(without.map((s) => s.heapMb)).toFixed(1)} MB without, ${median(withWidget.map((s) => s.heapMb)).toFixed(1)} MB with; stored buffer ${withWidget.map((s) => `${s.buffer.kb.toFixed(0)} KB`).join(', ')} (${withWidget[0].buffer.where})`,
        '',
      ].join('\n'),
    );
    if (cpuProf) {
      const profiles: CpuProfile[] = [];
      await run(browser, `${served.url}/with-named`, seconds, (p) => profiles.push(p));
      await run(browser, `${served.url}/without`, seconds, (p) => profiles.push(p));
      writeFileSync(cpuProf, JSON.stringify(profiles[0]));
      process.stdout.write(
        `${summarise(profiles[0], profiles[1], namedJs, seconds)}  (written to ${cpuProf})\n\n`,
      );
    }
    if (minutes > 0) {
      const long = await run(browser, `${served.url}/with`, minutes * 60);
      const plain = await run(browser, `${served.url}/without`, Math.min(60, minutes * 60));
      const added =
        (long.scriptS - (plain.scriptS * minutes * 60) / Math.min(60, minutes * 60)) /
        ((plain.taskS * minutes * 60) / Math.min(60, minutes * 60));
      process.stdout.write(
        [
          `Buffer after ${minutes} min with the widget: stored ${long.buffer.kb.toFixed(0)} KB (${long.buffer.where}), JS heap after GC ${long.heapMb.toFixed(1)} MB (the page alone: ${plain.heapMb.toFixed(1)} MB, so ${(long.heapMb - plain.heapMb).toFixed(1)} MB added)`,
          `  over those ${minutes} min the widget added ${(added * 100).toFixed(1)} % script time against the page alone (its rate over ${Math.min(60, minutes * 60)} s)`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await browser?.close();
    server?.close();
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
