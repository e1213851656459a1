import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.schema';
import { dataSourceOptions } from './data-source';

const options = dataSourceOptions(loadConfig().DATABASE_URL);

/**
 * Only for the TypeORM CLI (`npm run migration:*`); the app builds its own from AppConfig. A
 * migration may rewrite a large table: no statement timeout here, as in runMigrations.
 */
export default new DataSource({ ...options, extra: { max: 1 } });
