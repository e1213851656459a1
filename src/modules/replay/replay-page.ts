import type { RecordingAnalysis } from '../recordings/analyzer/types';

export type ReplayEntryKind = 'step' | 'error' | 'warning' | 'request' | 'signal';

/** One line of the timeline beside the player; clicking it seeks the player to `t`. */
export interface ReplayEntry {
  /** Milliseconds from the start of the recording. */
  t: number;
  kind: ReplayEntryKind;
  text: string;
}

/** What the page script needs; embedded in the page as JSON, shown only through textContent. */
export interface ReplayPageData {
  title: string;
  /** Where playback starts, ms from the start of the recording. */
  startAt: number;
  /** The events endpoint, signed for this page's own fetch. */
  eventsUrl: string;
  analyzed: boolean;
  timeline: ReplayEntry[];
  /** Entries left out to keep the page small. */
  omitted: number;
  failure: { t: number; text: string } | null;
}

/** Timeline entries beyond this are counted, not shown. */
export const MAX_TIMELINE_ENTRIES = 2_000;
const MAX_TEXT = 500;
const KIND_ORDER: Record<ReplayEntryKind, number> = {
  step: 0,
  request: 1,
  error: 2,
  warning: 3,
  signal: 4,
};

function clip(text: string): string {
  const oneSpace = text.replace(/\s+/g, ' ').trim();
  return oneSpace.length > MAX_TEXT ? `${oneSpace.slice(0, MAX_TEXT - 1)}…` : oneSpace;
}

function ms(t: number): number {
  return Number.isFinite(t) ? Math.max(0, Math.round(t)) : 0;
}

/** Steps, errors, failed requests and signals of an analysis, in time order. */
export function replayTimeline(analysis: RecordingAnalysis | null): ReplayEntry[] {
  if (!analysis) return [];
  const entries: ReplayEntry[] = [
    ...(analysis.steps ?? []).map((s) => ({ t: ms(s.t), kind: 'step' as const, text: s.text })),
    ...(analysis.errors ?? []).map((e) => ({
      t: ms(e.t),
      kind: e.level === 'warn' ? ('warning' as const) : ('error' as const),
      text: `${e.uncaught ? 'Uncaught: ' : ''}${e.message}`,
    })),
    ...(analysis.failedRequests ?? []).map((r) => ({
      t: ms(r.t),
      kind: 'request' as const,
      text: `${r.method} ${r.url} → ${r.status || (r.error ?? 'no response')}`,
    })),
    ...(analysis.signals ?? []).map((s) => ({ t: ms(s.t), kind: 'signal' as const, text: s.text })),
  ];
  return entries
    .map((e) => ({ ...e, text: clip(String(e.text)) }))
    .sort((a, b) => a.t - b.t || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}

/** The moment the analysis says it went wrong, for the header; null when it found none. */
export function replayFailure(analysis: RecordingAnalysis | null): ReplayPageData['failure'] {
  const failure = analysis?.failure;
  if (!failure || failure.reason === 'end') return null;
  return { t: ms(failure.t), text: clip(String(failure.text)) };
}

/** The report's first line, as the page title. */
export function replayTitle(description: string): string {
  const line = description.split('\n').find((l) => l.trim()) ?? '';
  return clip(line).slice(0, 200) || 'Replay';
}

/**
 * JSON for a `<script type="application/json">` element: `<` is escaped so no text from a
 * recording can close the element (`</script>`) or open a comment; `>`, `&` and the JS line
 * separators too, for good measure.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** For the few values interpolated into attributes (paths, the nonce). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Scripts: only our own file and the nonce'd inline script; recorded pages' own scripts never
 * run (rrweb also rebuilds them inert, in a sandboxed iframe). Styles, images, fonts and media
 * load from anywhere so that recorded pages look as they did. Only Repro's own pages may frame
 * it (the web app embeds it in a report's page); no other site.
 */
export function replayPageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src * 'unsafe-inline' data: blob:",
    'img-src * data: blob:',
    'font-src * data:',
    'media-src * data: blob:',
    "connect-src 'self'",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
    "object-src 'none'",
  ].join('; ');
}

const STYLE = `
*, *::before, *::after { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328; background: #f6f8fa; display: flex; flex-direction: column; }
header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #d0d7de; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 60vw; }
#status { color: #59636e; margin: 0; }
#failure { font: inherit; border: 1px solid #f5c2c7; background: #fff5f5; color: #b42318; border-radius: 6px; padding: 2px 8px; cursor: pointer; }
#failure[hidden] { display: none; }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(0, 1fr) 380px; }
#player { min-width: 0; min-height: 0; padding: 12px; display: flex; justify-content: center; align-items: flex-start; overflow: hidden; }
aside { border-left: 1px solid #d0d7de; background: #fff; display: flex; flex-direction: column; min-height: 0; }
aside h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #59636e; margin: 0; padding: 10px 12px; border-bottom: 1px solid #d0d7de; }
#timeline { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; }
#timeline-note { color: #59636e; padding: 10px 12px; margin: 0; }
#timeline-note:empty { display: none; }
.entry { display: grid; grid-template-columns: 44px 64px minmax(0, 1fr); gap: 6px; width: 100%; text-align: left; font: inherit; color: inherit; background: none; border: 0; border-bottom: 1px solid #eaeef2; padding: 6px 12px; cursor: pointer; }
.entry:hover:not(:disabled), .entry:focus-visible { background: #f0f6ff; }
.entry:disabled { cursor: default; }
.entry[aria-current] { background: #ddf4ff; }
.entry time { font-variant-numeric: tabular-nums; color: #59636e; }
.entry .kind { font-size: 12px; font-weight: 600; }
.entry .text { overflow-wrap: anywhere; }
.entry.error .kind { color: #b42318; }
.entry.warning .kind { color: #9a6700; }
.entry.request .kind { color: #8250df; }
.entry.signal .kind { color: #bc4c00; }
.entry.step .kind { color: #0969da; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; grid-template-rows: minmax(360px, 1fr) 40vh; } aside { border-left: 0; border-top: 1px solid #d0d7de; } }
`;

// Runs in the browser. Everything from the recording reaches the DOM through textContent.
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('replay-data').textContent);
  var LABELS = { step: 'Step', error: 'Error', warning: 'Warning', request: 'Request', signal: 'Signal' };
  var status = document.getElementById('status');
  var list = document.getElementById('timeline');
  var note = document.getElementById('timeline-note');
  var failure = document.getElementById('failure');
  var seekers = [];
  var buttons = [];
  var current = -1;
  var player = null;

  function two(n) { return (n < 10 ? '0' : '') + n; }
  function clock(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return two(Math.floor(s / 60)) + ':' + two(s % 60);
  }
  function span(className, text) {
    var el = document.createElement('span');
    el.className = className;
    el.textContent = text;
    return el;
  }

  document.getElementById('title').textContent = data.title;
  document.title = data.title + ' · Replay · Repro';

  data.timeline.forEach(function (entry) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'entry ' + entry.kind;
    button.disabled = true;
    button.setAttribute('data-t', String(entry.t));
    var time = document.createElement('time');
    time.textContent = clock(entry.t);
    button.appendChild(time);
    button.appendChild(span('kind', LABELS[entry.kind] || entry.kind));
    button.appendChild(span('text', entry.text));
    var item = document.createElement('li');
    item.appendChild(button);
    list.appendChild(item);
    buttons.push(button);
    seekers.push(button);
  });
  if (!data.timeline.length) {
    note.textContent = data.analyzed
      ? 'The analysis found no steps, errors, failed requests or signals.'
      : 'This recording has not been analysed yet.';
  } else if (data.omitted) {
    note.textContent = data.omitted + ' more entries are not shown.';
  }
  if (data.failure) {
    failure.textContent = 'Went wrong at ' + clock(data.failure.t) + ': ' + data.failure.text;
    failure.setAttribute('data-t', String(data.failure.t));
    failure.hidden = false;
    failure.disabled = true;
    seekers.push(failure);
  }

  function highlight(ms) {
    var index = -1;
    while (index + 1 < data.timeline.length && data.timeline[index + 1].t <= ms) index++;
    if (index === current) return;
    if (current >= 0) buttons[current].removeAttribute('aria-current');
    current = index;
    if (index >= 0) buttons[index].setAttribute('aria-current', 'true');
  }

  document.addEventListener('click', function (event) {
    var target = event.target && event.target.closest ? event.target.closest('[data-t]') : null;
    if (!target || !player) return;
    player.goto(Number(target.getAttribute('data-t')));
  });

  fetch(data.eventsUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
    .then(function (res) {
      if (!res.ok) throw new Error('the server answered ' + res.status);
      return res.json();
    })
    .then(function (events) {
      if (!Array.isArray(events) || events.length < 2) throw new Error('it has too few events to play');
      var box = document.getElementById('player');
      var Player = window.rrwebPlayer.Player || window.rrwebPlayer.default;
      player = new Player({
        target: box,
        props: {
          events: events,
          width: Math.max(320, box.clientWidth - 24),
          height: Math.max(240, box.clientHeight - 24 - 80),
          autoPlay: false,
        },
      });
      window.__player = player;
      player.addEventListener('ui-update-current-time', function (e) { highlight(e.payload); });
      seekers.forEach(function (b) { b.disabled = false; });
      status.textContent = '';
      player.goto(data.startAt, true);
    })
    .catch(function (error) {
      status.textContent = 'Could not play the recording: ' + (error && error.message ? error.message : String(error)) + '.';
    });
})();
`;

/** The viewer: rrweb-player beside the timeline. Only `data` varies, and only as escaped JSON. */
export function renderReplayPage(
  data: ReplayPageData,
  options: { nonce: string; assetsPath: string; assetsVersion: string },
): string {
  const nonce = escapeHtml(options.nonce);
  const asset = (name: string) =>
    escapeHtml(`${options.assetsPath}/${name}?v=${encodeURIComponent(options.assetsVersion)}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Replay · Repro</title>
<link rel="stylesheet" href="${asset('rrweb-player.css')}">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1 id="title">Replay</h1>
<button type="button" id="failure" hidden></button>
<p id="status" role="status">Loading the recording…</p>
</header>
<main>
<div id="player"></div>
<aside aria-label="Timeline">
<h2>Timeline</h2>
<p id="timeline-note"></p>
<ol id="timeline"></ol>
</aside>
</main>
<script type="application/json" id="replay-data">${embedJson(data)}</script>
<script src="${asset('rrweb-player.js')}"></script>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
