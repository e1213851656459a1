import { runMigrations } from '../../src/database/prepare-database';
import { adminQuery, databaseUrl, TEMPLATE_DB } from './databases';

/** Builds the migrated template database every test file clones. */
export default async function globalSetup(): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${TEMPLATE_DB}`);
  await runMigrations(databaseUrl(TEMPLATE_DB));
}
