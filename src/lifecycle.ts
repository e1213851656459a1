import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AppConfig } from './config/config.schema';
import { ConfigError, loadConfig } from './config/config.schema';
import { createApp, type Role } from './app';
import { prepareDatabase } from './database/prepare-database';

function printFirstKey(key: string, prefix: string): void {
  // Straight to the terminal, never through the logger: this is the only time it is shown.
  process.stdout.write(
    [
      '',
      '  Repro created the default project. Its API key (shown once, store it now):',
      '',
      `    ${key}`,
      '',
      `  Revoke it with: repro keys revoke ${prefix}    New one: repro keys create`,
      '',
      '',
    ].join('\n'),
  );
}

/**
 * SIGTERM/SIGINT: stop taking HTTP requests, let running jobs finish, close connections.
 * Past SHUTDOWN_TIMEOUT_MS the process exits anyway; unfinished jobs are redelivered.
 */
function handleSignals(
  app: INestApplication | INestApplicationContext,
  config: AppConfig,
  http?: Server,
): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      process.stderr.write(`Shutdown took over ${config.SHUTDOWN_TIMEOUT_MS} ms; exiting\n`);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    http?.close();
    app
      .close()
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The body of main.ts, main.api.ts and main.worker.ts. */
export async function run(role: Role): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await prepareDatabase(config);
  const { app, firstKey } = await createApp(config, role);
  let http: Server | undefined;
  if (role !== 'worker') {
    const api = app as INestApplication;
    await api.listen(config.PORT);
    http = api.getHttpServer() as Server;
  }
  handleSignals(app, config, http);
  if (firstKey) printFirstKey(firstKey.key, firstKey.prefix);
  if (http && config.DEMO_ENABLED) {
    process.stdout.write(
      `  Repro is running. Try it: open ${config.PUBLIC_URL}/demo and report a bug.\n\n`,
    );
  }
}
