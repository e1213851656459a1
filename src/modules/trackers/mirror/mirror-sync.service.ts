import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, QueryRunner } from 'typeorm';
import { ProjectsService } from '../../projects/projects.service';
import type { Project, TrackerProvider } from '../../projects/entities/project.entity';
import { TrackerError, type TrackerAdapter } from '../tracker';
import { TrackerRegistry } from '../tracker-registry';
import { upsertMirroredIssue } from './mirror-store';
import type { MirrorPage, MirrorSource } from './mirrored-issue';
import { TrackerSyncState } from './tracker-sync-state.entity';

export interface MirrorSyncOptions {
  /** Stop after this many pages (the rest waits for the next run). Default: no limit. */
  maxPages?: number;
  /** Issues per request, 1–100. Default 50. */
  pageSize?: number;
  /** Pause between pages, to stay well inside the vendor's rate limits. Default 250 ms. */
  pauseMs?: number;
}

export type MirrorSyncStatus =
  /** The pass reached the last page; the next run is incremental. */
  | 'completed'
  /** maxPages reached; the next run continues from the stored cursor. */
  | 'partial'
  /** The vendor said to slow down; nothing is requested before `resumeAt`. */
  | 'rate_limited'
  /** Another worker holds this project's sync. */
  | 'busy'
  /** Nothing to mirror (built-in tracker, or no default project yet). */
  | 'skipped';

export interface MirrorSyncOutcome {
  status: MirrorSyncStatus;
  pages: number;
  issues: number;
  /** Whether this run read everything (initial) or only what changed (incremental). */
  mode?: 'initial' | 'incremental';
  resumeAt?: Date;
}

const DEFAULT_PAGE_SIZE = 50;
const DEFAULT_PAUSE_MS = 250;
/** How far before the watermark an incremental run looks, for clock skew and late commits. */
export const MIRROR_OVERLAP_MS = 5 * 60_000;
/** When a rate limit names no time to come back. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** Pages one maintenance job reads before handing over to a follow-up job. */
export const MIRROR_PAGES_PER_JOB = 20;

/**
 * When the maintenance job should run again before its schedule: at once after a bounded run
 * stopped short, or when a rate limit ends. Null when the schedule is soon enough.
 */
export function mirrorFollowUpAt(outcome: MirrorSyncOutcome, now = new Date()): Date | null {
  switch (outcome.status) {
    case 'partial':
      return now;
    case 'rate_limited':
      return outcome.resumeAt ?? null;
    case 'completed':
    case 'busy':
    case 'skipped':
      return null;
  }
}

function isMirrorSource(adapter: TrackerAdapter): adapter is TrackerAdapter & MirrorSource {
  return typeof (adapter as Partial<MirrorSource>).listIssuesPage === 'function';
}

/**
 * Keeps `tracker_issues` in step with the destination: a paginated initial sync whose cursor
 * is committed with every page (a crash resumes there), then incremental passes over what
 * changed since the last completed pass. One sync per (project, provider) at a time, across
 * every worker, under a PostgreSQL advisory lock.
 */
@Injectable()
export class MirrorSyncService {
  private readonly logger = new Logger(MirrorSyncService.name);
  private builtinNoted = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: TrackerRegistry,
    private readonly projects: ProjectsService,
  ) {}

  /** The maintenance job: the default project's destination, when it is a real tracker. */
  async syncDefaultProject(options: MirrorSyncOptions = {}): Promise<MirrorSyncOutcome> {
    const project = await this.projects.defaultProject();
    if (!project) return { status: 'skipped', pages: 0, issues: 0 };
    return this.sync(project, options);
  }

  async sync(project: Project, options: MirrorSyncOptions = {}): Promise<MirrorSyncOutcome> {
    const adapter = this.registry.forProject(project);
    if (!isMirrorSource(adapter)) {
      if (!this.builtinNoted) {
        this.builtinNoted = true;
        this.logger.log(
          { project: project.slug, provider: adapter.provider },
          'Issues are filed in the built-in tracker: there is no external tracker to mirror',
        );
      }
      return { status: 'skipped', pages: 0, issues: 0 };
    }
    const runner = this.db.createQueryRunner();
    await runner.connect();
    const lockKey = `tracker-mirror:${project.id}:${adapter.provider}`;
    try {
      // Session-level: held across the per-page transactions, dropped if this process dies.
      const [{ locked }] = (await runner.query(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [lockKey],
      )) as { locked: boolean }[];
      if (!locked) return { status: 'busy', pages: 0, issues: 0 };
      try {
        return await this.run(runner, project.id, adapter.provider, adapter, options);
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
      }
    } finally {
      await runner.release();
    }
  }

  /** Where the sync of a project's destination stands; null before its first run. */
  async state(projectId: string, provider: TrackerProvider): Promise<TrackerSyncState | null> {
    return this.db.getRepository(TrackerSyncState).findOneBy({ projectId, provider });
  }

  private async run(
    runner: QueryRunner,
    projectId: string,
    provider: TrackerProvider,
    source: MirrorSource,
    options: MirrorSyncOptions,
  ): Promise<MirrorSyncOutcome> {
    const pageSize = Math.min(Math.max(options.pageSize ?? DEFAULT_PAGE_SIZE, 1), 100);
    const pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
    const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
    const states = runner.manager.getRepository(TrackerSyncState);
    await states.createQueryBuilder().insert().values({ projectId, provider }).orIgnore().execute();
    const state = await states.findOneByOrFail({ projectId, provider });

    const startedAt = new Date();
    if (state.resumeAfter && state.resumeAfter > startedAt) {
      return { status: 'rate_limited', pages: 0, issues: 0, resumeAt: state.resumeAfter };
    }
    if (state.cursor === null) {
      // A new pass: everything the first time, then what changed since the last pass began.
      state.passStartedAt = startedAt;
      state.passSince = state.watermark
        ? new Date(state.watermark.getTime() - MIRROR_OVERLAP_MS)
        : null;
      state.pagesSynced = 0;
    }
    state.status = 'running';
    state.resumeAfter = null;
    await states.save(state);
    const mode = state.passSince ? 'incremental' : 'initial';

    let pages = 0;
    let issues = 0;
    while (pages < maxPages) {
      if (pages > 0 && pauseMs > 0) await sleep(pauseMs);
      let page: MirrorPage;
      try {
        page = await source.listIssuesPage({
          cursor: state.cursor,
          updatedSince: state.passSince,
          pageSize,
        });
      } catch (error) {
        state.lastError = error instanceof Error ? error.message : String(error);
        if (error instanceof TrackerError && error.code === 'RATE_LIMITED') {
          const waitMs = error.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
          state.status = 'rate_limited';
          state.resumeAfter = new Date(Date.now() + waitMs);
          await states.save(state);
          this.logger.warn(
            { projectId, provider, resumeAfter: state.resumeAfter, pages },
            'Tracker mirror sync rate limited; resuming later from the stored cursor',
          );
          return { status: 'rate_limited', pages, issues, mode, resumeAt: state.resumeAfter };
        }
        state.status = 'failed';
        await states.save(state);
        throw error;
      }
      await runner.manager.transaction(async (tx) => {
        // An older copy never overwrites a newer one (webhooks may have got there first).
        for (const issue of page.issues) await upsertMirroredIssue(tx, projectId, provider, issue);
        state.cursor = page.nextCursor;
        state.pagesSynced += 1;
        if (page.nextCursor === null) {
          state.watermark = state.passStartedAt;
          state.lastCompletedAt = new Date();
          state.passSince = null;
          state.passStartedAt = null;
          state.status = 'idle';
          state.lastError = null;
        }
        await tx.getRepository(TrackerSyncState).save(state);
      });
      pages += 1;
      issues += page.issues.length;
      if (page.nextCursor === null) {
        this.logger.log({ projectId, provider, mode, pages, issues }, 'Tracker mirror synced');
        return { status: 'completed', pages, issues, mode };
      }
    }
    return { status: 'partial', pages, issues, mode };
  }
}
