import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Project } from '../projects/entities/project.entity';
import { BuiltinTracker } from './builtin/builtin.tracker';
import type { TrackerAdapter } from './tracker';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { LinearAdapter } from './linear/linear.adapter';
import { GitHubAdapter } from './github/github.adapter';
import { PgPendingCreates } from './github/pg-pending-creates';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/**
 * Picks the adapter for a project's destination. Credentials come from the environment and
 * serve the default project (LINEAR_* or GITHUB_*); non-secret choices (team, labels, state,
 * repo) may be set per project in its tracker config.
 */
@Injectable()
export class TrackerRegistry {
  constructor(
    private readonly builtin: BuiltinTracker,
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  forProject(project: Project): TrackerAdapter {
    const settings = project.trackerConfig as { team?: string; labels?: string[]; state?: string };
    switch (project.trackerProvider) {
      case 'builtin':
        return this.builtin;
      case 'linear':
        if (!this.config.LINEAR_API_KEY) break;
        return new LinearAdapter(
          {
            apiKey: this.config.LINEAR_API_KEY,
            apiUrl: this.config.LINEAR_API_URL,
            team: settings.team ?? this.config.LINEAR_TEAM ?? '',
            defaultLabels: settings.labels ?? ['bug'],
            defaultState: settings.state,
          },
          this.config.PUBLIC_URL,
        );
      case 'github': {
        const github = project.trackerConfig as {
          repo?: string;
          labels?: string[];
          assignees?: string[];
        };
        const repo = github.repo ?? this.config.GITHUB_REPO;
        if (!this.config.GITHUB_TOKEN || !repo) break;
        return new GitHubAdapter({
          token: this.config.GITHUB_TOKEN,
          repo,
          baseUrl: this.config.GITHUB_API_URL,
          labels: github.labels,
          assignees: github.assignees,
          pending: new PgPendingCreates(this.db),
        });
      }
    }
    // Refuse loudly rather than file somewhere unexpected.
    throw new UnrecoverableError(
      `Project ${project.slug} is set to file into ${project.trackerProvider}, which has no credentials or adapter in this version`,
    );
  }

  /** The destination the environment gives the default project. */
  defaultProvider(): Project['trackerProvider'] {
    if (this.config.LINEAR_API_KEY) return 'linear';
    if (this.config.GITHUB_TOKEN) return 'github';
    return 'builtin';
  }
}
