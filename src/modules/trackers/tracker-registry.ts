import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Project } from '../projects/entities/project.entity';
import { BuiltinTracker } from './builtin/builtin.tracker';
import type { TrackerAdapter } from './tracker';

/** Picks the adapter for a project's destination. */
@Injectable()
export class TrackerRegistry {
  constructor(private readonly builtin: BuiltinTracker) {}

  forProject(project: Project): TrackerAdapter {
    switch (project.trackerProvider) {
      case 'builtin':
        return this.builtin;
      case 'linear':
      case 'github':
        // Their adapters have not landed; refuse loudly rather than file somewhere unexpected.
        throw new UnrecoverableError(
          `Project ${project.slug} is set to file into ${project.trackerProvider}, which this version cannot do`,
        );
    }
  }
}
