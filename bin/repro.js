#!/usr/bin/env node
// The `repro` command. Uses the build in dist/ when present, else runs the TypeScript source.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!existsSync(built)) require('@swc-node/register');
const { buildCli } = require(existsSync(built) ? built : join(__dirname, '..', 'src', 'cli.ts'));
buildCli()
  .parseAsync(process.argv)
  .catch((error) => {
    process.stderr.write(`${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  });
