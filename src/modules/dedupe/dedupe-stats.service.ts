import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { refreshTermStats } from './term-stats';

/** Counts older than this are recounted. */
export const STATS_MAX_AGE_MS = 60 * 60_000;
/** … and so are counts taken when the project had 10 % more or fewer open issues. */
const STATS_MAX_DRIFT = 0.1;

/**
 * Keeps dedupe's word counts current in the background (a maintenance job), recounting a
 * project only when its counts are missing, old, or the number of open issues moved a lot:
 * recounting a million issues takes a while, and a few new issues change no word's weight.
 */
@Injectable()
export class DedupeStatsService {
  private readonly logger = new Logger(DedupeStatsService.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Recounts every project that needs it; returns the ids recounted. */
  async refreshStale(now = new Date()): Promise<string[]> {
    const stale = await this.db.query<{ project_id: string; open: number }[]>(
      `SELECT t.project_id, t.open, s.docs, s.refreshed_at
       FROM (SELECT project_id, count(*)::int AS open FROM tracker_issues WHERE open GROUP BY project_id) t
       LEFT JOIN dedupe_corpus_stats s ON s.project_id = t.project_id
       WHERE s.project_id IS NULL
          OR s.refreshed_at < $1
          OR abs(t.open - s.docs) > greatest(1, s.docs * $2::float8)`,
      [new Date(now.getTime() - STATS_MAX_AGE_MS), STATS_MAX_DRIFT],
    );
    const refreshed: string[] = [];
    for (const { project_id: projectId } of stale) {
      const done = await this.db.transaction(async (manager) => {
        // One worker recounts a project at a time; the others skip it.
        const [{ locked }] = await manager.query<{ locked: boolean }[]>(
          `SELECT pg_try_advisory_xact_lock(hashtext('dedupe-stats:' || $1)) AS locked`,
          [projectId],
        );
        if (!locked) return false;
        const docs = await refreshTermStats(manager, projectId);
        this.logger.log({ projectId, docs }, 'Dedupe word counts refreshed');
        return true;
      });
      if (done) refreshed.push(projectId);
    }
    return refreshed;
  }
}
