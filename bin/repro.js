#!/usr/bin/env node
// The `repro` command. Runs the build in dist/ unless a source file is newer than it (an
// edited checkout), else the TypeScript sources, each compiled with swc as it is required.
const { existsSync, readFileSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const built = join(root, 'dist', 'src', 'cli.js');

/** The newest modification time under a folder (0 when there is none, as in the image). */
function newest(dir) {
  let latest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function useBuild() {
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  return newest(join(root, 'src')) <= builtAt && newest(join(root, 'migrations')) <= builtAt;
}

// @swc-node/register would load the TypeScript compiler (about 0.3 s) just to read
// tsconfig.json; @swc/core with the build's own .swcrc compiles the same way as `npm run build`.
function compileSources() {
  const { transformSync } = require('@swc/core');
  const { $schema: _schema, ...options } = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
  process.setSourceMapsEnabled(true);
  require.extensions['.ts'] = (module, filename) => {
    const source = readFileSync(filename, 'utf8');
    const { code } = transformSync(source, {
      ...options,
      filename,
      swcrc: false,
      sourceMaps: 'inline',
    });
    module._compile(code, filename);
  };
}

let cli;
if (useBuild()) {
  cli = require(built);
} else {
  compileSources();
  cli = require(join(root, 'src', 'cli.ts'));
}
const io = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};
cli.runCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
