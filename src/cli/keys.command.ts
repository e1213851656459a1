import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import { DEFAULT_PROJECT_SLUG } from '../modules/projects/projects.service';
import { withProjects } from './with-projects';

/** `repro keys create`: prints a new key (shown once) on stdout, what it is on stderr. */
export async function createKey(
  options: { project?: string; label?: string },
  io: CliIo,
): Promise<void> {
  const slug = options.project ?? DEFAULT_PROJECT_SLUG;
  const issued = await withProjects(loadConfig(io.env), async (projects) => {
    if (slug === DEFAULT_PROJECT_SLUG) {
      const first = await projects.ensureDefaultProject();
      if (first) return first;
    }
    return projects.createApiKey(slug, options.label ?? null);
  });
  io.out(`${issued.key}\n`);
  io.err(`Created ${issued.prefix} for project ${issued.project.slug}. It is not shown again.\n`);
}

/** `repro keys revoke <prefix>`. */
export async function revokeKey(prefix: string, io: CliIo): Promise<void> {
  const revoked = await withProjects(loadConfig(io.env), (projects) =>
    projects.revokeApiKey(prefix),
  );
  if (!revoked) throw new Error(`No live key with prefix ${prefix}`);
  io.out(`Revoked ${prefix}\n`);
}

/** `repro keys list`: prefixes, state and labels; never the keys. */
export async function listKeys(options: { project?: string }, io: CliIo): Promise<void> {
  const rows = await withProjects(loadConfig(io.env), (projects) =>
    projects.listApiKeys(options.project ?? DEFAULT_PROJECT_SLUG),
  );
  for (const row of rows) {
    const state = row.revokedAt ? `revoked ${row.revokedAt.toISOString()}` : 'live';
    io.out(`${row.prefix}\t${state}\t${row.createdAt.toISOString()}\t${row.label ?? ''}\n`);
  }
}
