import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runMigrations } from '../../src/database/prepare-database';
import { adminQuery, databaseUrl } from './databases';

/** Builds the migrated template database every test file of this run clones. */
export default async function globalSetup(): Promise<void> {
  const template = `repro_tpl_${process.pid}`;
  // Test workers are started after this and inherit the variable.
  process.env.REPRO_TEST_TEMPLATE = template;
  await adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${template}`);
  await runMigrations(databaseUrl(template));
  // The widget's script (dist/widget), served by the API's /widget.js and loaded by the browser
  // tests: esbuild without the type check, about 2 s (scripts/build-widget.mjs is ESM, hence a child).
  const root = join(__dirname, '..', '..');
  execFileSync(process.execPath, ['scripts/build-widget.mjs', '--no-typecheck'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The triage inbox's app (dist/web), served at /app: the same, for its browser tests.
  execFileSync(process.execPath, ['scripts/build-web.mjs', '--no-typecheck'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
