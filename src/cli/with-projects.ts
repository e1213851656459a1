import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.schema';
import { dataSourceOptions } from '../database/data-source';
import { prepareDatabase } from '../database/prepare-database';
import { ProjectsService } from '../modules/projects/projects.service';

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
