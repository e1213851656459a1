import { JobName, type PipelineJobName } from '../../queue/queue.constants';
import type { ReportStatus } from '../reports/report-state-machine';

interface StageOfJob {
  /** The stage's name in the audit log and on Sentry events. */
  stage: string;
  /** The statuses this job moves a report on from; a job runs only while the report is in one. */
  from: readonly ReportStatus[];
  /**
   * Run by the job of the stage before it, right after it, without a trip through the queue.
   * Only for a stage nothing else queues while that job runs (a live job of any stage keeps the
   * reconciler away; an answer queues clarify; an idempotent replay queues only a stage that is
   * not inline), so one report is never in two of its stages at once.
   */
  inline?: boolean;
}

/**
 * The one table of the pipeline: each job, its stage, and the statuses it moves a report on
 * from. Adding a stage means a row here, a job name (queue.constants.ts) and a handler
 * (StagesService); the status ⇄ job maps below are derived from it.
 */
export const PIPELINE = {
  [JobName.AnalyzeReport]: { stage: 'analyze', from: ['received', 'analyzing'] },
  [JobName.ClarifyReport]: { stage: 'clarify', from: ['clarifying'] },
  // Delayed, one per question: ends the wait for the reporter; it is no status's own job.
  [JobName.ClarifyTimeout]: { stage: 'clarify', from: [] },
  [JobName.DedupeReport]: { stage: 'dedupe', from: ['deduping'], inline: true },
  [JobName.FileTicket]: { stage: 'file', from: ['filing'], inline: true },
} as const satisfies Record<PipelineJobName, StageOfJob>;

const JOBS = Object.keys(PIPELINE) as PipelineJobName[];

export const STAGE_OF_JOB = Object.fromEntries(
  JOBS.map((job) => [job, PIPELINE[job].stage]),
) as Record<PipelineJobName, string>;

/** The job that moves a report on from each active status. */
export const JOB_FOR_STATUS: Partial<Record<ReportStatus, PipelineJobName>> = Object.fromEntries(
  JOBS.flatMap((job) => PIPELINE[job].from.map((status) => [status, job])),
);

export function isPipelineJob(name: string): name is PipelineJobName {
  return name in PIPELINE;
}

/** True when a job for `name` has something to do for a report in `status`. */
export function jobApplies(name: PipelineJobName, status: ReportStatus): boolean {
  return (PIPELINE[name].from as readonly ReportStatus[]).includes(status);
}

/** True when the job runs inline, in the job of the stage before it (see StageOfJob.inline). */
export function runsInline(name: PipelineJobName): boolean {
  return (PIPELINE[name] as StageOfJob).inline === true;
}
