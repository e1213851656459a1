import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.schema';
import { dataSourceOptions } from './data-source';

/** Only for the TypeORM CLI (`npm run migration:*`); the app builds its own from AppConfig. */
export default new DataSource(dataSourceOptions(loadConfig().DATABASE_URL));
