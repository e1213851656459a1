import { Queue } from 'bullmq';
import request from 'supertest';
import { ReportMessage } from '../../src/modules/conversation/entities/report-message.entity';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Report } from '../../src/modules/reports/entities/report.entity';
import {
  clarifyTimeoutJobId,
  JobName,
  pipelineJobId,
  QueueName,
} from '../../src/queue/queue.constants';
import { redisOptions } from '../../src/queue/redis-connection';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';

/** Few enough to show the reconciler reads past its first page of waiting reports. */
const PAGE = 3;
const WAITING = PAGE + 2;

/**
 * The reconciler finds every report without a live job, however many wait for their reporter
 * (they stay the oldest active reports for a day), and an idempotent replay queues a lost job.
 */
describe('the reconciler sees every active report, not the oldest page', () => {
  let h: Harness;
  let acme: TestProject;
  let pipeline: Queue;
  const apps: RunningApp[] = [];
  const waiting: string[] = [];

  beforeAll(async () => {
    h = await createHarness({
      AGENT_MAX_QUESTIONS: '3',
      AGENT_AUTO_FILE_THRESHOLD: '0.5',
      RECONCILE_PAGE_SIZE: String(PAGE),
    });
    acme = await createProject(h.db);
    pipeline = new Queue(QueueName.Pipeline, {
      connection: { ...redisOptions(h.config.REDIS_URL), maxRetriesPerRequest: 3 },
      prefix: h.config.QUEUE_PREFIX,
    });
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await pipeline.close();
    await h.close();
  });

  async function start(role: 'api' | 'worker' | 'all'): Promise<RunningApp> {
    const app = await h.start(role);
    apps.push(app);
    return app;
  }

  async function post(app: RunningApp, body: Record<string, unknown>, key?: string) {
    const req = request(app.url).post('/v1/reports').set(acme.auth);
    if (key) req.set('Idempotency-Key', key);
    const res = await req.send(body).expect(202);
    return res.body as { id: string };
  }

  async function dropJob(jobId: string): Promise<void> {
    const job = await pipeline.getJob(jobId);
    expect(job).toBeDefined();
    await job!.remove();
  }

  async function requeued(reportId: string): Promise<PipelineEvent[]> {
    return h.db
      .getRepository(PipelineEvent)
      .findBy({ reportId, stage: 'reconcile', event: 'requeued' });
  }

  async function timeoutJobOf(reportId: string): Promise<string> {
    const [question] = await h.db
      .getRepository(ReportMessage)
      .find({ where: { reportId, author: 'agent' }, order: { createdAt: 'DESC' }, take: 1 });
    return clarifyTimeoutJobId(reportId, question.id);
  }

  it('an idempotent replay queues the job the report lost at intake', async () => {
    const api = await start('api');
    const body = reportPayload();
    const { id } = await post(api, body, 'retry-after-crash');
    // As if the API died after committing the report and before queueing it.
    await dropJob(pipelineJobId(JobName.AnalyzeReport, id));

    const again = await post(api, body, 'retry-after-crash');
    expect(again.id).toBe(id);
    const job = await pipeline.getJob(pipelineJobId(JobName.AnalyzeReport, id));
    expect(job).toBeDefined();
    expect(await job!.getState()).toBe('waiting');
  });

  it('finds a report that lost its job behind more reports waiting for their reporter than a page holds', async () => {
    const all = await start('all');
    for (let i = 0; i < WAITING; i++) {
      waiting.push((await post(all, { description: 'export is broken' })).id);
    }
    await waitFor(
      async () => (await h.db.getRepository(ReportMessage).countBy({ author: 'agent' })) >= WAITING,
      { what: 'every vague report to be asked its questions' },
    );
    await all.close();

    const api = await start('api');
    const { id: lost } = await post(api, reportPayload());
    await dropJob(pipelineJobId(JobName.AnalyzeReport, lost));

    await start('worker');
    await waitFor(async () => (await requeued(lost)).length > 0, {
      what: 'the reconciler to queue the lost report again',
    });
    await waitFor(
      async () => (await h.db.getRepository(Report).findOneBy({ id: lost }))?.status !== 'received',
      { what: 'the lost report to move on' },
    );
    // The waiting reports hold their live timeout jobs: nothing to do for them.
    for (const id of waiting) expect(await requeued(id)).toEqual([]);
  });

  it('brings back the clarify timeout of every waiting report that lost it', async () => {
    const jobIds = await Promise.all(waiting.map((id) => timeoutJobOf(id)));
    for (const jobId of jobIds) await dropJob(jobId);

    await start('worker');
    await waitFor(
      async () => {
        const states = await Promise.all(jobIds.map((jobId) => pipeline.getJobState(jobId)));
        return states.every((s) => s === 'delayed');
      },
      { what: `all ${WAITING} clarify timeouts to be scheduled again` },
    );
    for (const id of waiting) {
      expect(await requeued(id)).toEqual([
        expect.objectContaining({ reason: expect.stringContaining('with no job') }),
      ]);
      expect((await h.db.getRepository(Report).findOneBy({ id }))?.status).toBe('clarifying');
    }
  });
});
