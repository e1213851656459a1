import { Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { JobName, type ReportJobData } from '../../queue/queue.constants';
import { OUTAGE_RETRY_MS, PipelineProcessor } from './pipeline.processor';
import type { StagesService } from './stages.service';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function setup(error: Error) {
  const stages = {
    run: jest.fn().mockRejectedValue(error),
    fail: jest.fn().mockResolvedValue(undefined),
    waiting: jest.fn().mockResolvedValue(undefined),
  };
  const job = {
    name: JobName.FileTicket,
    data: { reportId: 'r1' },
    opts: { attempts: 12 },
    // The last attempt: a failure now would fail the report for good.
    attemptsMade: 11,
    moveToDelayed: jest.fn().mockResolvedValue(undefined),
  };
  const processor = new PipelineProcessor(stages as unknown as StagesService);
  return { processor, stages, job: job as unknown as Job<ReportJobData> & typeof job };
}

describe('PipelineProcessor', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('waits out a PostgreSQL outage without using an attempt, even on the last one', async () => {
    const { processor, stages, job } = setup(refused());
    const before = Date.now();
    await expect(processor.process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(stages.fail).not.toHaveBeenCalled();
    const [until, token] = job.moveToDelayed.mock.calls[0] as [number, string];
    expect(token).toBe('token');
    expect(until).toBeGreaterThanOrEqual(before + OUTAGE_RETRY_MS);
  });

  it('fails the report on the last attempt of an error of its own', async () => {
    const { processor, stages, job } = setup(new Error('tracker said no'));
    await expect(processor.process(job, 'token')).rejects.toThrow('tracker said no');
    expect(job.moveToDelayed).not.toHaveBeenCalled();
    expect(stages.fail).toHaveBeenCalledWith(
      'r1',
      JobName.FileTicket,
      'file failed after 12 attempt(s): tracker said no',
    );
  });
});
