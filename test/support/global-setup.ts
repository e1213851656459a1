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
}
