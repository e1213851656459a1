#!/usr/bin/env node
/**
 * Builds the in-app widget (widget/src) with esbuild into dist/widget:
 *   repro.js      IIFE for <script src=".../widget.js" data-repro-key="pk_…">, sets window.Repro
 *   repro.mjs     ES module with the same API as named exports
 *   manifest.json { version: "<package version>-<sha256(repro.js)[0..10]>", iife, esm, integrity }
 * `node scripts/build-widget.mjs` type-checks widget/ first (tsc -p widget/tsconfig.json);
 * buildWidget({ outDir }) is the same build without the type check, for tests.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the widget into `outDir` (default dist/widget); resolves to the manifest. */
export async function buildWidget({ outDir = join(root, 'dist', 'widget') } = {}) {
  await mkdir(outDir, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  };
  const [iife, esm] = await Promise.all([
    build({ ...common, entryPoints: ['widget/src/iife.ts'], format: 'iife' }),
    build({ ...common, entryPoints: ['widget/src/index.ts'], format: 'esm' }),
  ]);
  const js = iife.outputFiles[0].contents;
  const mjs = esm.outputFiles[0].contents;
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const hash = createHash('sha256').update(js).digest('hex').slice(0, 10);
  const manifest = {
    version: `${pkg.version}-${hash}`,
    iife: 'repro.js',
    esm: 'repro.mjs',
    integrity: `sha384-${createHash('sha384').update(js).digest('base64')}`,
  };
  await writeFile(join(outDir, 'repro.js'), js);
  await writeFile(join(outDir, 'repro.mjs'), mjs);
  // The manifest last: a server that sees it finds both files complete.
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
        join(root, 'widget/tsconfig.json'),
      ],
      { stdio: 'inherit' },
    );
  }
  const manifest = await buildWidget({ outDir });
  console.log(`widget ${manifest.version} -> ${outDir ?? 'dist/widget'}`);
}
