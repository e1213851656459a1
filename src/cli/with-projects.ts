import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.schema';
import { dataSourceOptions } from '../database/data-source';
import { ensureDatabase, runMigrations } from '../database/prepare-database';
import { ProjectsService } from '../modules/projects/projects.service';

/** Creates the database if needed and applies pending migrations, as every process does. */
export async function prepareDatabase(config: AppConfig): Promise<void> {
  await ensureDatabase(config.DATABASE_URL);
  if (config.MIGRATIONS_RUN) await runMigrations(config.DATABASE_URL);
}

/** Opens the database (creating and migrating it if needed) for one command. */
export async function withProjects<T>(
  config: AppConfig,
  action: (projects: ProjectsService) => Promise<T>,
): Promise<T> {
  await prepareDatabase(config);
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 2 } });
  await db.initialize();
  try {
    return await action(new ProjectsService(db));
  } finally {
    await db.destroy();
  }
}
