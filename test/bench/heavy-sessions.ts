/**
 * Heavy sessions recorded in real Chromium at bench time (`npm run bench:recording -- --heavy`):
 * - dashboard: a 3,000-row table whose cells update ten times a second; the user scrolls it,
 *   sorts it by clicking column headers and types into its Filter for `seconds` (default 30 s);
 * - bursts: a feed that inserts 8,000 cards (56,000 nodes) at once and clears them, again and
 *   again, for `seconds` (about 100 MB in 30 s);
 * - long: a single-page app used for `2 × seconds`, with rrweb's periodic full snapshots (a
 *   rolling buffer's checkouts), route changes, typing and a ticking clock.
 * Each is streamed to `<dir>/<name>.json` as rrweb emits it, then gzipped beside it.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, ORIGIN, recordContext, type Route } from './heavy-recorder';

export interface HeavyRecording {
  name: string;
  json: string;
  gz: string;
  jsonBytes: number;
  gzBytes: number;
  events: number;
  recordedMs: number;
}

const STYLE = `body{font:13px sans-serif;margin:0} header{position:sticky;top:0;background:#fff;
padding:8px;display:flex;gap:8px;border-bottom:1px solid #ccc} table{border-collapse:collapse;width:100%}
td,th{padding:2px 6px;border-bottom:1px solid #eee;text-align:left} th{cursor:pointer;background:#f6f6f6}
.up{color:#070} .down{color:#b00} .card{border:1px solid #ddd;margin:4px;padding:4px;border-radius:4px}`;

const DASHBOARD = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Markets</title>
<style>${STYLE}</style></head><body>
<header><h1 style="font-size:16px;margin:0">Markets</h1>
<label>Filter <input id="filter" type="search"></label><span id="clock"></span></header>
<table><thead><tr><th data-key="symbol">Symbol</th><th data-key="name">Name</th>
<th data-key="price">Price</th><th data-key="change">Change</th><th data-key="volume">Volume</th>
<th data-key="status">Status</th></tr></thead><tbody id="rows"></tbody></table>
<script>
  const rows = [];
  const tbody = document.getElementById('rows');
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 3000; i++) {
    const tr = document.createElement('tr');
    const data = { symbol: 'S' + (10000 + i), name: 'Company ' + i + ' Holdings',
      price: 10 + rand() * 990, change: 0, volume: Math.floor(rand() * 1e6), status: 'open' };
    for (const key of ['symbol', 'name', 'price', 'change', 'volume', 'status']) {
      const td = document.createElement('td');
      td.textContent = typeof data[key] === 'number' ? data[key].toFixed(2) : data[key];
      tr.appendChild(td);
    }
    rows.push({ tr, data });
    tbody.appendChild(tr);
  }
  setInterval(() => {
    for (let n = 0; n < 300; n++) {
      const row = rows[Math.floor(rand() * rows.length)];
      const delta = (rand() - 0.5) * 2;
      row.data.price = Math.max(1, row.data.price + delta);
      row.data.change = delta;
      row.data.volume += Math.floor(rand() * 100);
      const cells = row.tr.children;
      cells[2].textContent = row.data.price.toFixed(2);
      cells[3].textContent = delta.toFixed(2);
      cells[3].className = delta >= 0 ? 'up' : 'down';
      cells[4].textContent = String(row.data.volume);
    }
    document.getElementById('clock').textContent = new Date().toISOString();
  }, 100);
  let direction = 1;
  document.querySelector('thead').addEventListener('click', (event) => {
    const key = event.target.dataset.key;
    if (!key) return;
    direction = -direction;
    rows.sort((a, b) => (a.data[key] > b.data[key] ? direction : -direction));
    for (const row of rows) tbody.appendChild(row.tr);
  });
  document.getElementById('filter').addEventListener('input', (event) => {
    const text = event.target.value.toLowerCase();
    for (const row of rows) row.tr.hidden = !row.data.name.toLowerCase().includes(text);
  });
</script></body></html>`;

const BURSTS = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Feed</title>
<style>${STYLE}</style></head><body>
<header><button id="more" type="button">Load 8,000 more</button>
<button id="clear" type="button">Clear</button><span id="count">0 cards</span></header>
<div id="feed"></div>
<script>
  const feed = document.getElementById('feed');
  let made = 0;
  document.getElementById('more').addEventListener('click', () => {
    const fragment = document.createDocumentFragment();
    for (let i = 0; i < 8000; i++, made++) {
      const card = document.createElement('article');
      card.className = 'card';
      card.innerHTML = '<h3>Card ' + made + '</h3><p>Posted by <a href="/u/' + (made % 97) +
        '">user ' + (made % 97) + '</a> · <time>' + made + ' min ago</time></p>' +
        '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit ' + made + '.</p>' +
        '<button type="button">Like</button>';
      fragment.appendChild(card);
    }
    feed.appendChild(fragment);
    document.getElementById('count').textContent = feed.children.length + ' cards';
  });
  document.getElementById('clear').addEventListener('click', () => {
    feed.replaceChildren();
    document.getElementById('count').textContent = '0 cards';
  });
</script></body></html>`;

const LONG = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inbox</title>
<style>${STYLE}</style></head><body>
<header><a href="/inbox" data-spa>Inbox</a><a href="/inbox/sent" data-spa>Sent</a>
<a href="/inbox/settings" data-spa>Settings</a><span id="clock"></span></header>
<main id="view"></main>
<script>
  let tick = 0;
  function render() {
    const items = [];
    for (let i = 0; i < 400; i++)
      items.push('<li class="card"><b>Message ' + i + '</b> on ' + location.pathname +
        ' <button type="button">Archive</button></li>');
    document.getElementById('view').innerHTML = '<h1>' + location.pathname + '</h1>' +
      '<label>Search <input id="search" type="search"></label><ul>' + items.join('') + '</ul>';
  }
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-spa]');
    if (link) {
      event.preventDefault();
      history.pushState({}, '', link.getAttribute('href'));
      render();
      return;
    }
    if (event.target.textContent === 'Archive') event.target.closest('li').remove();
  });
  setInterval(() => {
    document.getElementById('clock').textContent = 'tick ' + ++tick;
    const list = document.querySelector('ul');
    const item = document.createElement('li');
    item.className = 'card';
    item.textContent = 'New message ' + tick;
    list.prepend(item);
  }, 250);
  render();
</script></body></html>`;

/** The heavy pages: /dashboard, /feed and /inbox (an SPA). */
export function heavySite(pathname: string): Route | undefined {
  if (pathname === '/dashboard') return { body: DASHBOARD };
  if (pathname === '/feed') return { body: BURSTS };
  if (pathname === '/inbox' || pathname.startsWith('/inbox/')) return { body: LONG };
  return undefined;
}

type Driver = (page: Page, seconds: number) => Promise<void>;

const DRIVERS: Record<string, { path: string; checkoutMs: number; driver: Driver }> = {
  dashboard: {
    path: '/dashboard',
    checkoutMs: 0,
    driver: async (page, seconds) => {
      const end = Date.now() + seconds * 1000;
      const headers = ['price', 'change', 'volume', 'symbol'];
      for (let step = 0; Date.now() < end; step++) {
        await page.mouse.move(400, 300);
        await page.mouse.wheel(0, step % 6 < 4 ? 900 : -1200);
        await page.waitForTimeout(400);
        if (step % 8 === 3) {
          await page.evaluate('window.scrollTo(0, 0)');
          await page.click(`th[data-key="${headers[((step - 3) / 8) % headers.length]}"]`);
        }
        if (step % 15 === 10) {
          await page.fill('#filter', '');
          await page.locator('#filter').pressSequentially('ompany 2', { delay: 60 });
        }
      }
    },
  },
  bursts: {
    path: '/feed',
    checkoutMs: 0,
    driver: async (page, seconds) => {
      const end = Date.now() + seconds * 1000;
      for (let step = 0; Date.now() < end; step++) {
        // CSS selectors: an accessibility query over 10,000 cards takes longer than the burst.
        await page.click('#more');
        await page.waitForTimeout(300);
        await page.mouse.wheel(0, 3000);
        if (step % 2 === 1) await page.click('#clear');
        await page.waitForTimeout(300);
      }
    },
  },
  long: {
    path: '/inbox',
    checkoutMs: 30_000,
    driver: async (page, seconds) => {
      const end = Date.now() + seconds * 2 * 1000;
      const routes = ['/inbox/sent', '/inbox/settings', '/inbox'];
      for (let step = 0; Date.now() < end; step++) {
        await page.click(`a[href="${routes[step % routes.length]}"]`);
        await page.locator('#search').pressSequentially('invoice', { delay: 40 });
        await page.mouse.wheel(0, 800);
        await page.locator('li button').first().click();
        await page.waitForTimeout(700);
      }
    },
  },
};

export const HEAVY_SESSIONS = Object.keys(DRIVERS);

/** Records the named sessions one after another (one browser), streaming each to a file. */
export async function recordHeavySessions(
  dir: string,
  names: string[],
  seconds: number,
  screenshots?: string,
): Promise<HeavyRecording[]> {
  const browser = await chromium.launch(CHROMIUM);
  const out: HeavyRecording[] = [];
  try {
    for (const name of names) {
      const spec = DRIVERS[name];
      if (!spec) throw new Error(`Unknown heavy session "${name}" (${HEAVY_SESSIONS.join(', ')})`);
      const json = join(dir, `heavy-${name}.json`);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const recorder = await recordContext(context, {
        site: heavySite,
        flushMs: 200,
        checkoutEveryNms: spec.checkoutMs,
        file: json,
      });
      const started = Date.now();
      const page = await context.newPage();
      await page.goto(`${ORIGIN}${spec.path}`);
      await spec.driver(page, seconds);
      if (screenshots) {
        await page.screenshot({ path: join(screenshots, `heavy-${name}-1280.png`) });
        await page.setViewportSize({ width: 390, height: 844 });
        await page.waitForTimeout(200);
        await page.screenshot({ path: join(screenshots, `heavy-${name}-390.png`) });
      }
      await page.waitForTimeout(300);
      await recorder.settle();
      const recordedMs = Date.now() - started;
      await context.close();
      await recorder.close();
      const gz = `${json}.gz`;
      await pipeline(createReadStream(json), createGzip(), createWriteStream(gz));
      out.push({
        name,
        json,
        gz,
        jsonBytes: (await stat(json)).size,
        gzBytes: (await stat(gz)).size,
        events: recorder.count,
        recordedMs,
      });
    }
  } finally {
    await browser.close();
  }
  return out;
}
