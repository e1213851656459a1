import { Queue, QueueEvents } from 'bullmq';
import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { JobName, pipelineJobId, QueueName } from '../../src/queue/queue.constants';
import { redisOptions } from '../../src/queue/redis-connection';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';

/**
 * Dedupe and filing run inline, in the job of the stage before them (the agent's), instead of
 * each taking a trip through the queue: the report goes from the agent's decision to its ticket
 * in one job. Nothing else may queue those stages meanwhile, or the report would be in one stage
 * twice at once; a report that lost its job there is still found by the reconciler.
 */
describe('inline stages: dedupe and filing run in the job before them', () => {
  let h: Harness;
  let acme: TestProject;
  let pipeline: Queue;
  let events: QueueEvents;
  const added: string[] = [];
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    h = await createHarness({ AGENT_AUTO_FILE_THRESHOLD: '0.3' });
    acme = await createProject(h.db);
    const connection = { ...redisOptions(h.config.REDIS_URL), maxRetriesPerRequest: 3 };
    pipeline = new Queue(QueueName.Pipeline, { connection, prefix: h.config.QUEUE_PREFIX });
    // A blocking reader: BullMQ wants it to retry for ever.
    events = new QueueEvents(QueueName.Pipeline, {
      connection: { ...connection, maxRetriesPerRequest: null },
      prefix: h.config.QUEUE_PREFIX,
    });
    events.on('added', ({ jobId }) => added.push(jobId));
    await events.waitUntilReady();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await events.close();
    await pipeline.close();
    await h.close();
  });

  async function start(role: 'api' | 'worker' | 'all'): Promise<RunningApp> {
    const app = await h.start(role);
    apps.push(app);
    return app;
  }

  async function statusOf(app: RunningApp, id: string): Promise<string> {
    const res = await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200);
    return res.body.status as string;
  }

  async function ticketOf(
    app: RunningApp,
    id: string,
  ): Promise<{ key: string; relation: string } | null> {
    const res = await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200);
    return res.body.ticket as { key: string; relation: string } | null;
  }

  /** A report the agent files without asking (it says what, where, and what went wrong). */
  function clearReport(n: number): Record<string, unknown> {
    return reportPayload({
      description: `Saving billing details fails (${n})\nI changed the card and pressed Save; it spun and then said "Something went wrong".`,
    });
  }

  it('files a clear report with only its analysis and agent jobs queued, stages in order', async () => {
    const app = await start('all');
    const res = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(clearReport(1))
      .expect(202);
    const id = res.body.id as string;
    await waitFor(async () => ((await statusOf(app, id)) === 'filed' ? true : undefined), {
      what: 'the report to be filed',
    });

    const queued = added.filter((jobId) => jobId.endsWith(id));
    expect(queued).toEqual([
      pipelineJobId(JobName.AnalyzeReport, id),
      pipelineJobId(JobName.ClarifyReport, id),
    ]);
    const moves = await h.db
      .getRepository(PipelineEvent)
      .find({ where: { reportId: id, event: 'transition' }, order: { id: 'ASC' } });
    expect(moves.map((m) => `${m.stage}:${m.toStatus}`)).toEqual([
      'intake:received',
      'analyze:analyzing',
      'analyze:clarifying',
      'clarify:deduping',
      'dedupe:filing',
      'file:filed',
    ]);
    expect(await ticketOf(app, id)).toMatchObject({ relation: 'created' });
  });

  it('a client sending the report again while it is past the agent queues no second run of that stage; the reconciler finds one that was lost', async () => {
    const api = await start('api');
    const key = `inline-${Date.now()}`;
    const body = clearReport(2);
    const first = await request(api.url)
      .post('/v1/reports')
      .set(acme.auth)
      .set('Idempotency-Key', key)
      .send(body)
      .expect(202);
    const id = first.body.id as string;
    // As if a worker ran it up to filing inline and died there: the status says filing, and no
    // job of that stage exists (the job that ran it is gone with its worker).
    await (await pipeline.getJob(pipelineJobId(JobName.AnalyzeReport, id)))?.remove();
    await h.db.query(`UPDATE reports SET status = 'filing' WHERE id = $1`, [id]);

    const again = await request(api.url)
      .post('/v1/reports')
      .set(acme.auth)
      .set('Idempotency-Key', key)
      .send(body)
      .expect(202);
    expect(again.body.id).toBe(id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await pipeline.getJob(pipelineJobId(JobName.FileTicket, id))).toBeUndefined();

    await start('worker');
    await waitFor(async () => ((await statusOf(api, id)) === 'filed' ? true : undefined), {
      what: 'the reconciler to queue the filing and the report to be filed',
    });
    expect(await ticketOf(api, id)).toMatchObject({ relation: 'created' });
    const requeued = await h.db
      .getRepository(PipelineEvent)
      .findBy({ reportId: id, stage: 'reconcile', event: 'requeued' });
    expect(requeued).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('Stuck in filing with no job') }),
    ]);
  });
});
