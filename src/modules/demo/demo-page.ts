/**
 * Repro's demo app (`/demo`): a small invoicing app with the widget installed and two deliberate
 * bugs, so a newcomer can report one from the page right after `npm start`. Pure strings: no
 * Nest, no I/O. The page runs under a strict Content-Security-Policy (no inline script or style,
 * no eval), as a customer's app might, with only the additions the README documents.
 */

/** What the page needs from the server. */
export interface DemoPage {
  /** The default project's public widget key. */
  widgetKey: string;
  /** Where the widget script is served (Repro's own `/widget.js`). */
  widgetUrl: string;
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function demoPageCsp(): string {
  return [
    "default-src 'none'",
    // The widget's documented additions: its script and its API, here on the same origin.
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function renderDemoPage(page: DemoPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Invoices · Repro demo</title>
<link rel="stylesheet" href="/demo/app.css">
<script src="/demo/app.js" defer></script>
<script src="${escapeAttribute(page.widgetUrl)}" data-repro-key="${escapeAttribute(page.widgetKey)}" async></script>
</head>
<body>
<header class="bar">
  <strong class="brand">Acme Invoices</strong>
  <nav aria-label="Main">
    <a href="/demo" data-route="invoices">Invoices</a>
    <a href="/demo/settings" data-route="settings">Settings</a>
  </nav>
</header>
<p class="hint" role="note">
  This is Repro's demo app. It has two deliberate bugs: <b>Export CSV</b> never finishes, and
  <b>Save</b> in Settings does nothing. Try one, then press <b>Report a bug</b> at the bottom
  right and describe it in your own words.
</p>
<main id="app" tabindex="-1"></main>
</body>
</html>
`;
}

/** The app's script: routes with the History API, one failing request, one uncaught error. */
export const DEMO_SCRIPT = `'use strict';
(function () {
  var invoices = [
    ['INV-1041', 'Globex Corp.', '1,250.00', 'Paid'],
    ['INV-1042', 'Initech', '980.50', 'Open'],
    ['INV-1043', 'Umbrella Ltd.', '4,410.00', 'Overdue'],
    ['INV-1044', 'Hooli', '120.00', 'Open'],
    ['INV-1045', 'Vandelay Industries', '2,075.25', 'Paid']
  ];
  var app = document.getElementById('app');

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function invoicesView() {
    var rows = invoices.map(function (i) {
      return el('tr', {}, i.map(function (cell) { return el('td', {}, [cell]); }));
    });
    var status = el('p', { id: 'export-status', role: 'status' }, []);
    var exportButton = el('button', { type: 'button', id: 'export' }, ['Export CSV']);
    exportButton.addEventListener('click', function () {
      exportButton.disabled = true;
      status.textContent = 'Preparing your export…';
      fetch('/demo/api/export?format=csv&token=demo-secret-123', { method: 'POST' })
        .then(function (res) { return res.json(); })
        .then(function (body) {
          // Bug: the failure is logged and the spinner is never cleared.
          if (body.error) console.error('Export failed: ' + body.error.message);
          else status.textContent = 'Done';
        });
    });
    return [
      el('h1', {}, ['Invoices']),
      el('div', { class: 'tools' }, [
        el('label', {}, ['Search ', el('input', { type: 'search', name: 'q', placeholder: 'Customer' })]),
        exportButton
      ]),
      status,
      el('table', {}, [
        el('thead', {}, [el('tr', {}, ['Number', 'Customer', 'Amount (USD)', 'Status'].map(function (h) { return el('th', { scope: 'col' }, [h]); }))]),
        el('tbody', {}, rows)
      ])
    ];
  }

  function settingsView() {
    var form = el('form', { id: 'settings', novalidate: '' }, [
      el('label', {}, ['Company name', el('input', { name: 'company', value: 'Acme Inc.' })]),
      el('label', {}, ['Billing email', el('input', { name: 'email', type: 'email', value: 'billing@acme.example' })]),
      el('label', {}, ['Card number', el('input', { name: 'card', autocomplete: 'cc-number', placeholder: '4242 4242 4242 4242' })]),
      el('button', { type: 'submit' }, ['Save'])
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var settings = undefined;
      // Bug: settings were never loaded, so this throws and nothing is saved.
      settings.company = form.elements.company.value;
    });
    return [el('h1', {}, ['Settings']), form];
  }

  function render() {
    var settings = location.pathname.replace(/\\/+$/, '') === '/demo/settings';
    app.replaceChildren.apply(app, settings ? settingsView() : invoicesView());
    document.title = (settings ? 'Settings' : 'Invoices') + ' · Acme Invoices';
    document.querySelectorAll('nav a').forEach(function (a) {
      if (a.getAttribute('data-route') === (settings ? 'settings' : 'invoices')) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-route]');
    if (!link || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    history.pushState(null, '', link.getAttribute('href'));
    render();
    app.focus();
  });
  window.addEventListener('popstate', render);
  render();
})();
`;

export const DEMO_STYLE = `*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328; background: #fff; }
.bar { display: flex; gap: 24px; align-items: center; padding: 12px 24px; background: #24292f; color: #fff; }
.bar a { color: #d0d7de; text-decoration: none; margin-right: 16px; }
.bar a[aria-current="page"] { color: #fff; text-decoration: underline; }
.hint { margin: 16px 24px 0; padding: 10px 14px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; max-width: 760px; }
main { padding: 8px 24px 96px; max-width: 900px; }
main:focus { outline: none; }
.tools { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
input { font: inherit; padding: 6px 8px; border: 1px solid #d0d7de; border-radius: 6px; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d; color: #fff; cursor: pointer; }
button:disabled { opacity: .6; cursor: progress; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px; border-bottom: 1px solid #d8dee4; }
form { display: grid; gap: 12px; max-width: 420px; }
form label { display: grid; gap: 4px; }
@media (prefers-color-scheme: dark) {
  body { background: #0d1117; color: #e6edf3; }
  input { background: #161b22; color: #e6edf3; border-color: #30363d; }
  th, td { border-color: #30363d; }
  .hint { background: #272115; border-color: #9e6a03; }
}
@media (max-width: 600px) {
  .bar, main { padding-left: 12px; padding-right: 12px; }
  .hint { margin: 12px; }
  th:nth-child(2), td:nth-child(2) { display: none; }
}
`;
