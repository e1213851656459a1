import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import ts from 'typescript';

/** A request the test server answered, as it arrived (query string included). */
export interface ServedRequest {
  method: string;
  url: string;
}

export interface TestServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: ServedRequest[];
  close(): Promise<void>;
}

const PAGES = path.join(__dirname, 'pages');
// rrweb's package exports hide dist/; resolve the entry point and take its folder.
const RRWEB_DIST = path.dirname(require.resolve('rrweb'));
const CONSOLE_PLUGIN_DIST = path.dirname(require.resolve('@rrweb/rrweb-plugin-console-record'));

const SCRIPTS: Record<string, string> = {
  '/vendor/rrweb.umd.cjs': path.join(RRWEB_DIST, 'rrweb.umd.cjs'),
  '/vendor/rrweb-plugin-console-record.umd.cjs': path.join(
    CONSOLE_PLUGIN_DIST,
    'rrweb-plugin-console-record.umd.cjs',
  ),
};

/** The single-page app answers every one of its routes, as its server would for a deep link. */
function pageFor(pathname: string): string | null {
  if (pathname === '/settings' || pathname.startsWith('/settings/')) return 'spa.html';
  if (pathname === '/billing') return 'billing.html';
  if (pathname === '/playground') return 'playground.html';
  return null;
}

/** Fake backend: what the pages call, with the failures the scenarios need. */
const API: Record<string, { status: number; body: unknown; delayMs?: number }> = {
  'POST /api/billing': { status: 500, body: { error: 'Internal Server Error' }, delayMs: 40 },
  'GET /api/invoices/latest': { status: 404, body: { error: 'No invoice yet' } },
  'GET /api/status': { status: 200, body: { ok: true } },
};

let recorder: Promise<string> | undefined;

/** The recorder compiled once per run; type-only imports vanish, leaving a plain ES module. */
function recorderScript(): Promise<string> {
  recorder ??= readFile(path.join(__dirname, 'recorder.ts'), 'utf8').then(
    (source) =>
      ts.transpileModule(source, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      }).outputText,
  );
  return recorder;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const api = API[`${method} ${pathname}`];
  if (api) {
    req.resume();
    if (api.delayMs) await new Promise((resolve) => setTimeout(resolve, api.delayMs));
    return send(res, api.status, 'application/json', JSON.stringify(api.body));
  }
  if (pathname === '/recorder.js') return send(res, 200, 'text/javascript', await recorderScript());
  const script = SCRIPTS[pathname];
  if (script) return send(res, 200, 'text/javascript', await readFile(script));
  const page = pageFor(pathname);
  if (page)
    return send(res, 200, 'text/html; charset=utf-8', await readFile(path.join(PAGES, page)));
  send(res, 404, 'text/plain', 'Not found');
}

function listen(requests: ServedRequest[]): Promise<Server> {
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    handle(req, res).catch((error: unknown) => send(res, 500, 'text/plain', String(error)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Serves the test pages, the compiled recorder and rrweb's UMD builds on 127.0.0.1.
 * The port never contains "4242", so the card-number test can search recordings for it.
 */
export async function startTestServer(): Promise<TestServer> {
  const requests: ServedRequest[] = [];
  for (;;) {
    const server = await listen(requests);
    const { port } = server.address() as AddressInfo;
    if (String(port).includes('4242')) {
      await new Promise((resolve) => server.close(resolve));
      continue;
    }
    return {
      origin: `http://127.0.0.1:${port}`,
      requests,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    };
  }
}
