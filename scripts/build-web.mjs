#!/usr/bin/env node
/**
 * Builds the triage web app (web/src, Preact) with esbuild into dist/web:
 *   app-<hash>.js, app-<hash>.css   the bundle and its stylesheet, named by content
 *   index.html                      the page that loads them (from /app/assets/)
 *   manifest.json                   { js, css } for the server
 * `node scripts/build-web.mjs` type-checks web/ first (tsc -p web/tsconfig.json);
 * buildWeb({ outDir }) is the same build without the type check, for tests.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const hashOf = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);

/** The page: no inline script or style, so the strict CSP holds. */
function indexHtml(js, css) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Repro</title>
<link rel="stylesheet" href="/app/assets/${css}">
<script type="module" src="/app/assets/${js}"></script>
</head>
<body>
<div id="root"></div>
<noscript>Repro's app needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Builds the app into `outDir` (default dist/web); resolves to the manifest. */
export async function buildWeb({ outDir = join(root, 'dist', 'web') } = {}) {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: ['web/src/main.tsx'],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    outdir: 'out',
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js')).contents;
  const css = result.outputFiles.find((f) => f.path.endsWith('.css')).contents;
  const manifest = { js: `app-${hashOf(js)}.js`, css: `app-${hashOf(css)}.css` };
  // Older builds go: only what this index.html names is served.
  for (const name of await readdir(outDir)) {
    if (/^app-[0-9a-f]{10}\.(js|css)$/.test(name) && !Object.values(manifest).includes(name)) {
      await rm(join(outDir, name));
    }
  }
  await writeFile(join(outDir, manifest.js), js);
  await writeFile(join(outDir, manifest.css), css);
  await writeFile(join(outDir, 'index.html'), indexHtml(manifest.js, manifest.css));
  // The manifest last: a server that sees it finds the files complete.
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outIndex = process.argv.indexOf('--out');
  const outDir = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : undefined;
  if (!process.argv.includes('--no-typecheck')) {
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '-p',
        join(root, 'web/tsconfig.json'),
      ],
      { stdio: 'inherit' },
    );
  }
  const manifest = await buildWeb({ outDir });
  console.log(`web app ${manifest.js} -> ${outDir ?? 'dist/web'}`);
}
