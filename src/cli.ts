import 'reflect-metadata';
import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/config.schema';
import { prepareDatabase } from './app';
import { dataSourceOptions } from './database/data-source';
import { DEFAULT_PROJECT_SLUG, ProjectsService } from './modules/projects/projects.service';

/** Opens the database (creating and migrating it if needed) for one command. */
async function withProjects<T>(action: (projects: ProjectsService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await prepareDatabase(config);
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 2 } });
  await db.initialize();
  try {
    return await action(new ProjectsService(db));
  } finally {
    await db.destroy();
  }
}

export function buildCli(): Command {
  const program = new Command('repro').description('Repro command line').showHelpAfterError();

  const keys = program.command('keys').description('Project API keys');

  keys
    .command('create')
    .description('Create an API key and print it (shown once)')
    .option('-p, --project <slug>', 'project', DEFAULT_PROJECT_SLUG)
    .option('-l, --label <label>', 'a note to recognise the key by')
    .action(async (options: { project: string; label?: string }) => {
      const issued = await withProjects(async (projects) => {
        if (options.project === DEFAULT_PROJECT_SLUG) {
          const first = await projects.ensureDefaultProject();
          if (first) return first;
        }
        return projects.createApiKey(options.project, options.label ?? null);
      });
      process.stdout.write(`${issued.key}\n`);
      process.stderr.write(
        `Created ${issued.prefix} for project ${issued.project.slug}. It is not shown again.\n`,
      );
    });

  keys
    .command('revoke <prefix>')
    .description('Revoke the key that starts with this prefix (repro_xxxxxxxxxx)')
    .action(async (prefix: string) => {
      const revoked = await withProjects((projects) => projects.revokeApiKey(prefix));
      if (!revoked) {
        process.stderr.write(`No live key with prefix ${prefix}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`Revoked ${prefix}\n`);
    });

  keys
    .command('list')
    .description("List a project's keys (prefixes only)")
    .option('-p, --project <slug>', 'project', DEFAULT_PROJECT_SLUG)
    .action(async (options: { project: string }) => {
      const rows = await withProjects((projects) => projects.listApiKeys(options.project));
      for (const row of rows) {
        const state = row.revokedAt ? `revoked ${row.revokedAt.toISOString()}` : 'live';
        process.stdout.write(
          `${row.prefix}\t${state}\t${row.createdAt.toISOString()}\t${row.label ?? ''}\n`,
        );
      }
    });

  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    });
}
