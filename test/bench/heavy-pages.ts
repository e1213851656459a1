/**
 * The pages the analyzer's browser tests record (served from memory by heavy-recorder.ts):
 * a single-page app whose links change the URL with history.pushState, with a Filter field, a
 * long list to scroll, a Save button and an endpoint that fails.
 */
import type { Route } from './heavy-recorder';

const ROWS = Array.from({ length: 80 }, (_, i) => `<li>Invoice ${1000 + i}</li>`).join('');

const SPA_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme</title>
<style>body{font-family:sans-serif;margin:0} nav{display:flex;gap:1rem;padding:1rem;background:#eee}
main{padding:1rem} li{padding:.5rem 0}</style></head>
<body>
<nav>
  <a href="/app" data-spa>Home</a>
  <a href="/app/settings" data-spa>Settings</a>
  <a href="/app/reports" data-spa>Reports</a>
</nav>
<main id="view"></main>
<script>
  const views = {
    '/app': '<h1>Home</h1><p>Welcome back.</p><button id="open-reports" type="button">Open reports</button>',
    '/app/settings': '<h1>Settings</h1><label>Filter <input id="filter" type="text"></label>' +
      '<button id="save" type="button">Save</button><p id="status"></p><ul>${ROWS}</ul>',
    '/app/reports': '<h1>Reports</h1><label>Report name <input id="name" type="text"></label>' +
      '<button id="export" type="button">Export</button><p id="out"></p><ul>${ROWS}</ul>',
  };
  function render() {
    document.getElementById('view').innerHTML = views[location.pathname] || '<h1>Not found</h1>';
    const open = document.getElementById('open-reports');
    // As a router that kept the browser's own pushState before any script could wrap it.
    if (open) open.addEventListener('click', () => {
      History.prototype.pushState.call(history, {}, '', '/app/reports');
      render();
    });
    const save = document.getElementById('save');
    if (save) save.addEventListener('click', () => {
      document.getElementById('status').textContent = 'Saved';
    });
    const exportButton = document.getElementById('export');
    if (exportButton) exportButton.addEventListener('click', async () => {
      const response = await fetch('/api/export', { method: 'POST' });
      if (!response.ok) console.error('Export failed with ' + response.status);
      document.getElementById('out').textContent = 'Export failed';
    });
  }
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-spa]');
    if (!link) return;
    event.preventDefault();
    history.pushState({}, '', link.getAttribute('href'));
    render();
  });
  window.addEventListener('popstate', render);
  render();
</script>
</body>
</html>`;

export function SPA(pathname: string): Route | undefined {
  if (pathname === '/app' || pathname.startsWith('/app/')) return { body: SPA_HTML };
  if (pathname === '/api/export')
    return {
      status: 500,
      contentType: 'application/json',
      body: '{"error":"boom"}',
      delayMs: 30,
    };
  return undefined;
}
