import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Project } from '../../src/modules/projects/entities/project.entity';
import { ProjectsService } from '../../src/modules/projects/projects.service';

export interface TestProject {
  project: Project;
  apiKey: string;
  auth: { Authorization: string };
}

/** A project with a live API key, made through the same service the CLI uses. */
export async function createProject(db: DataSource, name = 'Acme'): Promise<TestProject> {
  const projects = new ProjectsService(db);
  const slug = `${name.toLowerCase().replace(/\W+/g, '-')}-${randomBytes(3).toString('hex')}`;
  await projects.createProject(name, slug);
  const issued = await projects.createApiKey(slug, 'test');
  return {
    project: issued.project,
    apiKey: issued.key,
    auth: { Authorization: `Bearer ${issued.key}` },
  };
}
