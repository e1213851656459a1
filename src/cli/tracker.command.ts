import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import { DEFAULT_PROJECT_SLUG } from '../modules/projects/projects.service';
import { commaList } from './options';
import { withProjects } from './with-projects';

export interface TrackerOptions {
  project?: string;
  team?: string;
  labels?: string;
  state?: string;
  repo?: string;
  assignees?: string;
}

/** `repro tracker`: shows or sets a project's destination choices. */
export async function trackerCommand(options: TrackerOptions, io: CliIo): Promise<void> {
  const settings = await withProjects(loadConfig(io.env), (projects) =>
    projects.updateTrackerConfig(options.project ?? DEFAULT_PROJECT_SLUG, {
      team: options.team,
      labels: commaList(options.labels),
      state: options.state,
      repo: options.repo,
      assignees: commaList(options.assignees),
    }),
  );
  io.out(`${JSON.stringify(settings, null, 2)}\n`);
}
