import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { PendingCreateRow } from '../../src/modules/trackers/github/pending-create.entity';
import { reportPayload } from '../factories/report.factory';
import { FakeGitHub } from '../fakes/github.server';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

/** The default project files into GitHub Issues when GITHUB_* is set, through the real Octokit. */
describe('filing into GitHub Issues (the default project, configured from the environment)', () => {
  const github = new FakeGitHub('ghp_pipeline_token', ['acme/web']);
  let h: Harness;
  let app: RunningApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    await github.start();
    h = await createHarness({
      GITHUB_TOKEN: github.token,
      GITHUB_REPO: 'acme/web',
      GITHUB_API_URL: `${github.url}/api/v3`,
    });
    app = await h.start('all');
    auth = { Authorization: `Bearer ${app.firstKey!.key}` };
  });
  afterAll(async () => {
    await h.close();
    await github.stop();
  });

  it('files an issue with the bug, repro and account labels, the body and its marker, once', async () => {
    const created = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(
        reportPayload({
          description: 'Export is broken',
          account: { id: 'acct_9', name: 'Globex' },
        }),
      )
      .expect(202);
    const view = await waitForReport(app.url, auth, created.body.id, 'filed');
    expect(view.ticket!.key).toMatch(/^acme\/web#\d+$/);
    const issue = github.issues.find((i) => i.body?.includes(`repro:report=${created.body.id}`))!;
    expect(issue.title).toBe('Export is broken on /settings/billing');
    expect(issue.labels).toEqual(['bug', 'repro', 'account:Globex', 'priority: medium']);
    expect(issue.body).toContain('- Account: Globex');
    expect(github.issues.filter((i) => i.body?.includes(created.body.id))).toHaveLength(1);
    const ticket = await h.db.getRepository(Ticket).findOneByOrFail({ key: view.ticket!.key });
    expect(ticket).toMatchObject({
      provider: 'github',
      url: expect.stringContaining('/acme/web/issues/'),
    });
    expect(
      await h.db.getRepository(PendingCreateRow).findOneByOrFail({ reportId: created.body.id }),
    ).toMatchObject({
      repo: 'acme/web',
      issueNumber: Number(view.ticket!.key.split('#')[1]),
    });
  });

  it('waits out a secondary rate limit (403 + retry-after) and files once', async () => {
    // Aimed at the create: the worker's mirror sync talks to the same fake meanwhile.
    github.failNext(
      1,
      { kind: 'rate-limit', status: 403, retryAfterSeconds: 1 },
      { method: 'POST', path: /\/issues$/ },
    );
    const created = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload())
      .expect(202);
    await waitForReport(app.url, auth, created.body.id, 'filed');
    const waiting = await h.db
      .getRepository(PipelineEvent)
      .findBy({ reportId: created.body.id, event: 'waiting' });
    expect(waiting).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/^github rate limit: /) }),
    ]);
    expect(github.issues.filter((i) => i.body?.includes(created.body.id))).toHaveLength(1);
  });
});
