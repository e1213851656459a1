import { JobName } from '../../queue/queue.constants';
import { ACTIVE_STATUSES, REPORT_STATUSES } from '../reports/report-state-machine';
import { isPipelineJob, JOB_FOR_STATUS, jobApplies, STAGE_OF_JOB } from './pipeline.stages';

describe('the pipeline table', () => {
  it('has a job for exactly the statuses a worker moves on', () => {
    expect(Object.keys(JOB_FOR_STATUS).sort()).toEqual([...ACTIVE_STATUSES].sort());
    for (const status of REPORT_STATUSES.filter((s) => !ACTIVE_STATUSES.includes(s))) {
      expect(JOB_FOR_STATUS[status]).toBeUndefined();
    }
  });

  it('maps each status to the job and stage that move it on', () => {
    expect(JOB_FOR_STATUS.received).toBe(JobName.AnalyzeReport);
    expect(JOB_FOR_STATUS.clarifying).toBe(JobName.ClarifyReport);
    expect(JOB_FOR_STATUS.filing).toBe(JobName.FileTicket);
    expect(STAGE_OF_JOB[JobName.ClarifyTimeout]).toBe('clarify');
    expect(STAGE_OF_JOB[JobName.DedupeReport]).toBe('dedupe');
  });

  it('knows its jobs and where each applies', () => {
    expect(isPipelineJob(JobName.FileTicket)).toBe(true);
    expect(isPipelineJob(JobName.ReconcileReports)).toBe(false);
    expect(jobApplies(JobName.AnalyzeReport, 'analyzing')).toBe(true);
    expect(jobApplies(JobName.DedupeReport, 'filing')).toBe(false);
  });
});
