// Values are Redis keys and stored job names: renaming one strands jobs already queued.
export const QueueName = {
  Pipeline: 'pipeline',
  Maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  AnalyzeReport: 'AnalyzeReport',
  ClarifyReport: 'ClarifyReport',
  /** Delayed: the reporter has not answered the agent's questions in time. */
  ClarifyTimeout: 'ClarifyTimeout',
  DedupeReport: 'DedupeReport',
  FileTicket: 'FileTicket',
  ReconcileReports: 'ReconcileReports',
  SyncTrackerMirror: 'SyncTrackerMirror',
  RefreshDedupeStats: 'RefreshDedupeStats',
  PurgeUnclaimedSessions: 'PurgeUnclaimedSessions',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

export type PipelineJobName = Exclude<
  JobName,
  'ReconcileReports' | 'SyncTrackerMirror' | 'RefreshDedupeStats' | 'PurgeUnclaimedSessions'
>;

/** Payloads carry ids only; the handler reloads the row and skips if it is gone. */
export interface ReportJobData {
  reportId: string;
  /** ClarifyTimeout: the agent message whose answer is overdue. */
  messageId?: string;
}

/** One job per (stage, report): enqueueing twice is a no-op while the first is pending. */
export function pipelineJobId(name: PipelineJobName, reportId: string): string {
  return `${name}-${reportId}`;
}

/** One timeout per question message. */
export function clarifyTimeoutJobId(reportId: string, messageId: string): string {
  return `${JobName.ClarifyTimeout}-${reportId}-${messageId}`;
}

export const RECONCILE_SCHEDULER_ID = 'reconcile-reports';

export const MIRROR_SCHEDULER_ID = 'sync-tracker-mirror';
/** How often the tracker mirror catches up with the destination (incremental once synced). */
export const MIRROR_SYNC_EVERY_MS = 5 * 60_000;

export const DEDUPE_STATS_SCHEDULER_ID = 'refresh-dedupe-stats';
/** How often workers look for projects whose dedupe word counts need recounting. */
export const DEDUPE_STATS_EVERY_MS = 10 * 60_000;

export const SESSION_PURGE_SCHEDULER_ID = 'purge-unclaimed-sessions';
/** How often workers delete streamed sessions no report took (RECORDING_UNCLAIMED_SESSION_HOURS). */
export const SESSION_PURGE_EVERY_MS = 60 * 60_000;
/** Sessions deleted per statement; a run goes on until none is left. */
export const SESSION_PURGE_BATCH = 200;
