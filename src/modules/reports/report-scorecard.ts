import type { DataSource } from 'typeorm';

/** One week's figures of the scorecard, for the reports that arrived that week. */
export interface ScorecardWeekFigures {
  /** Monday 00:00 UTC. */
  weekStart: Date;
  projectId: string | null;
  reports: number;
  /** Filed or merged and never handed to a person. */
  autonomous: number;
  /** Handed to a person (reached needs_human) at least once. */
  handed: number;
  /** Median minutes from arrival to the first ticket (filed or merged); null without any. */
  medianMinutesToTicket: number | null;
  /** Questions the agent asked, all told. */
  questions: number;
  /** Reports asked at least one question, and those of them the reporter answered. */
  asked: number;
  answered: number;
  /** Reports merged into an existing ticket (they reached `duplicate`). */
  merged: number;
  /** Distinct customer accounts among the week's reports. */
  accounts: number;
}

/**
 * Per report of the window: what the audit log says happened to it. Every figure counts the
 * reports by the week they arrived in, whenever their outcome came.
 */
const PER_REPORT = `
  SELECT r.id, r.project_id, r.account_id, r.created_at, w.start,
    EXISTS (SELECT 1 FROM pipeline_events e WHERE e.report_id = r.id
             AND e.event = 'transition' AND e.to_status = 'needs_human') AS handed,
    (SELECT min(e.created_at) FROM pipeline_events e WHERE e.report_id = r.id
             AND e.event = 'transition' AND e.to_status IN ('filed', 'duplicate')) AS ticket_at,
    EXISTS (SELECT 1 FROM pipeline_events e WHERE e.report_id = r.id
             AND e.event = 'transition' AND e.to_status = 'duplicate') AS merged,
    (SELECT coalesce(sum(jsonb_array_length(coalesce(e.details->'keys', '[]'::jsonb))), 0)
       FROM pipeline_events e WHERE e.report_id = r.id AND e.event = 'questions_asked') AS questions,
    EXISTS (SELECT 1 FROM pipeline_events e WHERE e.report_id = r.id
             AND e.event = 'reporter_replied') AS answered
  FROM reports r
  JOIN weeks w ON r.created_at >= w.start AND r.created_at < w.start + interval '1 week'
  WHERE ($1::uuid IS NULL OR r.project_id = $1::uuid)`;

const FIGURES = `
  count(r.id)::int AS reports,
  count(r.id) FILTER (WHERE r.ticket_at IS NOT NULL AND NOT r.handed)::int AS autonomous,
  count(r.id) FILTER (WHERE r.handed)::int AS handed,
  percentile_cont(0.5) WITHIN GROUP (
    ORDER BY extract(epoch FROM r.ticket_at - r.created_at) / 60) AS median_minutes,
  coalesce(sum(r.questions), 0)::int AS questions,
  count(r.id) FILTER (WHERE r.questions > 0)::int AS asked,
  count(r.id) FILTER (WHERE r.questions > 0 AND r.answered)::int AS answered,
  count(r.id) FILTER (WHERE r.merged)::int AS merged,
  count(DISTINCT r.account_id)::int AS accounts`;

interface Row {
  start: Date;
  project_id: string | null;
  reports: number;
  autonomous: number;
  handed: number;
  median_minutes: number | null;
  questions: number;
  asked: number;
  answered: number;
  merged: number;
  accounts: number;
}

/**
 * The last `weeks` weeks (Monday 00:00 UTC, the one holding `now` last) of one project: every
 * week, even one without reports. With `projectId` null, only the week holding `now`, per
 * project that had reports in it (for /metrics).
 */
export async function scorecardWeeks(
  db: DataSource,
  projectId: string | null,
  weeks: number,
  now: Date,
): Promise<ScorecardWeekFigures[]> {
  const rows = await db.query<Row[]>(
    `WITH weeks AS (
       SELECT (g AT TIME ZONE 'UTC') AS start
         FROM generate_series(
           date_trunc('week', $2::timestamptz AT TIME ZONE 'UTC') - ($3::int - 1) * interval '1 week',
           date_trunc('week', $2::timestamptz AT TIME ZONE 'UTC'),
           interval '1 week') AS g
     ), per_report AS (${PER_REPORT})
     ${
       projectId
         ? `SELECT w.start, $1::uuid AS project_id, ${FIGURES}
              FROM weeks w LEFT JOIN per_report r ON r.start = w.start
             GROUP BY w.start ORDER BY w.start`
         : `SELECT r.start, r.project_id, ${FIGURES}
              FROM per_report r GROUP BY r.start, r.project_id ORDER BY r.project_id`
     }`,
    [projectId, now, projectId ? weeks : 1],
  );
  return rows.map((row) => ({
    weekStart: row.start,
    projectId: row.project_id,
    reports: row.reports,
    autonomous: row.autonomous,
    handed: row.handed,
    medianMinutesToTicket: row.median_minutes === null ? null : Number(row.median_minutes),
    questions: row.questions,
    asked: row.asked,
    answered: row.answered,
    merged: row.merged,
    accounts: row.accounts,
  }));
}
