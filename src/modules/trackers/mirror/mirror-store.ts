import type { EntityManager } from 'typeorm';
import type { TrackerProvider } from '../../projects/entities/project.entity';
import type { MirroredIssue } from './mirrored-issue';

/**
 * Writes one issue into the mirror, unless the mirror already holds a newer version of it: the
 * sync and the webhooks both write here, in whatever order their news arrives. True when the
 * row was written.
 */
export async function upsertMirroredIssue(
  manager: EntityManager,
  projectId: string,
  provider: TrackerProvider,
  issue: MirroredIssue,
): Promise<boolean> {
  const rows = await manager.query<unknown[]>(
    `INSERT INTO tracker_issues
       (project_id, provider, external_id, key, url, title, body, state, open, labels, remote_updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (project_id, provider, external_id) DO UPDATE SET
       key = EXCLUDED.key, url = EXCLUDED.url, title = EXCLUDED.title, body = EXCLUDED.body,
       state = EXCLUDED.state, open = EXCLUDED.open, labels = EXCLUDED.labels,
       remote_updated_at = EXCLUDED.remote_updated_at, updated_at = now()
     WHERE tracker_issues.remote_updated_at <= EXCLUDED.remote_updated_at
     RETURNING id`,
    [
      projectId,
      provider,
      issue.externalId,
      issue.key,
      issue.url,
      issue.title,
      issue.body,
      issue.state,
      issue.open,
      issue.labels,
      issue.remoteUpdatedAt,
    ],
  );
  return rows.length > 0;
}
