import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS_TABLE } from '../../src/database/data-source';
import { ensureDatabase, runMigrations } from '../../src/database/prepare-database';
import { adminQuery, databaseUrl } from '../support/databases';

describe('migrations', () => {
  const name = `repro_mig_${randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  afterAll(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

  it('creates a missing database, once, even when asked concurrently', async () => {
    const created = await Promise.all([
      ensureDatabase(url),
      ensureDatabase(url),
      ensureDatabase(url),
    ]);
    expect(created.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await ensureDatabase(url)).toBe(false);
  });

  it('apply to an empty database exactly once, however many processes start together', async () => {
    const runs = await Promise.all([runMigrations(url), runMigrations(url), runMigrations(url)]);
    const applied = runs.flat();
    expect(applied.length).toBeGreaterThan(0);
    expect(new Set(applied).size).toBe(applied.length);
    expect(await runMigrations(url)).toEqual([]);
  });

  it('leave nothing for migration:generate to find: entities and schema agree', async () => {
    const db = new DataSource(dataSourceOptions(url));
    await db.initialize();
    try {
      // The same comparison `typeorm migration:generate` makes.
      const pending = await db.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      const rows: { name: string }[] = await db.query(`SELECT name FROM ${MIGRATIONS_TABLE}`);
      expect(rows.map((r) => r.name).sort()).toEqual(db.migrations.map((m) => m.name).sort());
      expect(await db.showMigrations()).toBe(false);
    } finally {
      await db.destroy();
    }
  });
});
