import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';

export const MIGRATIONS_TABLE = 'typeorm_migrations';

export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    // Each module keeps its entities (*.entity.ts) to itself; the data source finds them by name,
    // compiled or source alike, so the database layer imports no feature module.
    entities: [join(__dirname, '..', 'modules', '**', '*.entity.{ts,js}')],
    // Compiled (dist/migrations/*.js) or source (migrations/*.ts) alike.
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'all',
    // gen_random_uuid() is built into PostgreSQL 13+; no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    extra: {
      max: 10,
      // Fail fast: a request waits at most this long for a connection (PostgreSQL down or the
      // pool exhausted), then the client gets 503 with Retry-After instead of a hung request.
      connectionTimeoutMillis: 5_000,
      // No statement runs longer; intake's take milliseconds. Migrations use their own pool.
      statement_timeout: 30_000,
    },
  };
}
