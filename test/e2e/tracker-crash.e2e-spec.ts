import request from 'supertest';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { reportPayload } from '../factories/report.factory';
import { FakeGitHub } from '../fakes/github.server';
import { FakeLinear } from '../fakes/linear.server';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';
import { killWorkerProcesses, startWorkerProcess } from '../support/worker-process';

/**
 * The dangerous window for a real tracker: Linear has created the issue, and the worker dies
 * before Repro has recorded it. The held request is the marker attachment, which comes right
 * after the create; the worker is killed while Linear "is answering" it.
 */
describe('a worker killed between Linear creating the issue and Repro recording it', () => {
  const linear = new FakeLinear();
  let h: Harness;
  let api: RunningApp;

  beforeAll(async () => {
    await linear.start();
    linear.addTeam('ENG');
    h = await createHarness({
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_TEAM: 'ENG',
      LINEAR_API_URL: linear.url,
    });
    api = await h.start('api');
  });
  afterEach(() => killWorkerProcesses());
  afterAll(async () => {
    await h.close();
    await linear.stop();
  });

  it('still yields exactly one Linear issue and one ticket', async () => {
    const auth = { Authorization: `Bearer ${api.firstKey!.key}` };
    const held = linear.hold('attachmentLinkURL');
    const first = await startWorkerProcess(h);
    const created = await request(api.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload())
      .expect(202);
    await held;
    expect(linear.issues).toHaveLength(1);
    await first.kill('SIGKILL');

    await startWorkerProcess(h);
    const view = await waitForReport(api.url, auth, created.body.id, 'filed');
    expect(linear.issues).toHaveLength(1);
    expect(view.ticket!.key).toBe(linear.issues[0].identifier);
    expect(await h.db.getRepository(Ticket).countBy({ provider: 'linear' })).toBe(1);
    const markers = linear.attachments.filter(
      (a) => a.url === `${h.config.PUBLIC_URL}/v1/reports/${created.body.id}`,
    );
    expect(markers).toHaveLength(1);
    expect(linear.validationFailures).toEqual([]);
  }, 90_000);
});

describe('a worker killed between GitHub creating the issue and Repro recording it', () => {
  const github = new FakeGitHub('ghp_crash_token', ['acme/web']);
  let h: Harness;
  let api: RunningApp;

  beforeAll(async () => {
    await github.start();
    h = await createHarness({
      GITHUB_TOKEN: github.token,
      GITHUB_REPO: 'acme/web',
      GITHUB_API_URL: github.url,
    });
    api = await h.start('api');
  });
  afterEach(() => killWorkerProcesses());
  afterAll(async () => {
    await h.close();
    await github.stop();
  });

  it('still yields exactly one GitHub issue and one ticket, even while search has not indexed it', async () => {
    const auth = { Authorization: `Bearer ${api.firstKey!.key}` };
    github.searchLag = true;
    const held = github.holdNextCreate();
    const first = await startWorkerProcess(h);
    const created = await request(api.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload())
      .expect(202);
    await held;
    expect(github.issues).toHaveLength(1);
    await first.kill('SIGKILL');

    await startWorkerProcess(h);
    const view = await waitForReport(api.url, auth, created.body.id, 'filed');
    expect(github.issues).toHaveLength(1);
    expect(view.ticket!.key).toBe(`acme/web#${github.issues[0].number}`);
    expect(await h.db.getRepository(Ticket).countBy({ provider: 'github' })).toBe(1);
  }, 90_000);
});
