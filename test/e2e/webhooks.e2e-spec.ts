import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Project } from '../../src/modules/projects/entities/project.entity';
import { ReportTicket } from '../../src/modules/trackers/entities/report-ticket.entity';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { TrackerIssueRow } from '../../src/modules/trackers/entities/tracker-issue.entity';
import { WebhookDelivery } from '../../src/modules/webhooks/entities/webhook-delivery.entity';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

const LINEAR_SECRET = 'linear-webhook-secret-0123456789';
const GITHUB_SECRET = 'github-webhook-secret-0123456789';
const REPO = 'acme/web';

let issueCounter = 0;

/** A Linear `Issue` webhook body as Linear sends it; override any part of `data`. */
function linearIssue(
  action: 'create' | 'update' | 'remove',
  data: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  issueCounter += 1;
  return {
    action,
    type: 'Issue',
    createdAt: new Date().toISOString(),
    url: 'https://linear.app/acme/issue/ENG-1',
    webhookTimestamp: Date.now(),
    webhookId: randomUUID(),
    data: {
      id: randomUUID(),
      identifier: `ENG-${issueCounter}`,
      title: 'Export CSV downloads nothing',
      description: 'Click Export CSV: nothing happens.',
      url: `https://linear.app/acme/issue/ENG-${issueCounter}`,
      state: { id: randomUUID(), name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
      labels: [{ id: randomUUID(), name: 'bug', color: '#eb5757' }],
      updatedAt: new Date().toISOString(),
      ...data,
    },
    ...extra,
  };
}

/** A GitHub `issues` webhook body. */
function githubIssue(action: string, issue: Record<string, unknown> = {}): Record<string, unknown> {
  issueCounter += 1;
  return {
    action,
    issue: {
      id: 1000 + issueCounter,
      node_id: `I_kwDO${issueCounter}${randomUUID().slice(0, 8)}`,
      number: issueCounter,
      title: 'Saving billing details fails',
      body: 'Spinner, then "Something went wrong".',
      html_url: `https://github.com/${REPO}/issues/${issueCounter}`,
      state: 'open',
      state_reason: null,
      labels: [{ id: 1, name: 'bug' }],
      updated_at: new Date().toISOString(),
      ...issue,
    },
    repository: { id: 1, full_name: REPO },
    sender: { login: 'octocat' },
  };
}

const sign = (secret: string, raw: string) =>
  createHmac('sha256', secret).update(raw).digest('hex');

describe('webhooks keep the tracker mirror and our tickets current', () => {
  let h: Harness;
  let app: RunningApp;
  let projectId: string;

  beforeAll(async () => {
    h = await createHarness({
      LINEAR_WEBHOOK_SECRET: LINEAR_SECRET,
      GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
    });
    app = await h.start('api');
    projectId = (await h.db.getRepository(Project).findOneByOrFail({ slug: 'default' })).id;
  });
  afterAll(() => h.close());

  /** Posts a Linear delivery, signed unless a signature is given, with the exact bytes signed. */
  function postLinear(
    body: Record<string, unknown> | string,
    { signature, delivery = randomUUID() }: { signature?: string; delivery?: string } = {},
  ) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return request(app.url)
      .post('/v1/webhooks/linear')
      .set('Content-Type', 'application/json; charset=utf-8')
      .set('Linear-Delivery', delivery)
      .set('Linear-Event', 'Issue')
      .set('Linear-Signature', signature ?? sign(LINEAR_SECRET, raw))
      .send(raw);
  }

  function postGithub(
    body: Record<string, unknown> | string,
    {
      event = 'issues',
      signature,
      delivery = randomUUID(),
    }: { event?: string; signature?: string; delivery?: string } = {},
  ) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return request(app.url)
      .post('/v1/webhooks/github')
      .set('Content-Type', 'application/json')
      .set('X-GitHub-Delivery', delivery)
      .set('X-GitHub-Event', event)
      .set('X-Hub-Signature-256', signature ?? `sha256=${sign(GITHUB_SECRET, raw)}`)
      .send(raw);
  }

  const mirrored = (externalId: string) =>
    h.db.getRepository(TrackerIssueRow).findOneBy({ projectId, externalId });
  const mirrorCount = () => h.db.getRepository(TrackerIssueRow).count();
  const deliveryCount = () => h.db.getRepository(WebhookDelivery).count();

  /** Nothing stored: no mirror row, no recorded delivery. */
  async function expectUnchanged(before: { issues: number; deliveries: number }) {
    expect({ issues: await mirrorCount(), deliveries: await deliveryCount() }).toEqual(before);
  }
  const snapshot = async () => ({ issues: await mirrorCount(), deliveries: await deliveryCount() });

  it('mirrors a Linear issue through create, update and remove', async () => {
    const created = linearIssue('create');
    const data = created.data as Record<string, unknown>;
    const id = data.id as string;
    await postLinear(created).expect(200, { status: 'applied' });
    expect(await mirrored(id)).toMatchObject({
      provider: 'linear',
      key: data.identifier,
      url: data.url,
      title: 'Export CSV downloads nothing',
      body: 'Click Export CSV: nothing happens.',
      state: 'Todo',
      open: true,
      labels: ['bug'],
    });

    const later = new Date(Date.now() + 1_000).toISOString();
    await postLinear(
      linearIssue('update', {
        ...data,
        title: 'Export CSV downloads an empty file',
        state: { name: 'Done', type: 'completed' },
        labels: [],
        updatedAt: later,
      }),
    ).expect(200);
    expect(await mirrored(id)).toMatchObject({
      title: 'Export CSV downloads an empty file',
      state: 'Done',
      open: false,
      labels: [],
      remoteUpdatedAt: new Date(later),
    });

    await postLinear(linearIssue('remove', { id, updatedAt: later })).expect(200);
    expect(await mirrored(id)).toMatchObject({ state: 'Deleted', open: false });
  });

  it('mirrors a GitHub issue when it is opened and when it is closed; answers ping with 202', async () => {
    const opened = githubIssue('opened');
    const issue = opened.issue as Record<string, unknown>;
    await postGithub(opened).expect(200, { status: 'applied' });
    expect(await mirrored(issue.node_id as string)).toMatchObject({
      provider: 'github',
      key: `${REPO}#${String(issue.number)}`,
      url: issue.html_url,
      state: 'open',
      open: true,
      labels: ['bug'],
    });

    const closed = githubIssue('closed', {
      ...issue,
      state: 'closed',
      state_reason: 'completed',
      updated_at: new Date(Date.now() + 1_000).toISOString(),
    });
    await postGithub(closed).expect(200);
    expect(await mirrored(issue.node_id as string)).toMatchObject({ state: 'closed', open: false });

    const before = await snapshot();
    await postGithub({ zen: 'Keep it logically awesome.', hook_id: 1 }, { event: 'ping' }).expect(
      202,
      { status: 'ignored', ignored: 'ping' },
    );
    await expectUnchanged(before);
  });

  it('refuses a wrong or missing signature with 401 and changes nothing', async () => {
    const before = await snapshot();
    const body = linearIssue('create');
    const res = await postLinear(body, {
      signature: sign('not-the-secret-at-all', JSON.stringify(body)),
    });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    // Signed over other bytes than those sent.
    await postLinear(JSON.stringify(body), {
      signature: sign(LINEAR_SECRET, JSON.stringify(body, null, 2)),
    }).expect(401);
    await postGithub(githubIssue('opened'), { signature: 'sha256=00' }).expect(401);
    await request(app.url)
      .post('/v1/webhooks/github')
      .set('X-GitHub-Event', 'issues')
      .set('X-GitHub-Delivery', randomUUID())
      .send(githubIssue('opened'))
      .expect(401);
    await expectUnchanged(before);
  });

  it('answers 401 when the secret is not configured, even to a delivery signed with some secret', async () => {
    const unconfigured = await h.start('api', { LINEAR_WEBHOOK_SECRET: undefined });
    try {
      const before = await snapshot();
      const raw = JSON.stringify(linearIssue('create'));
      const res = await request(unconfigured.url)
        .post('/v1/webhooks/linear')
        .set('Content-Type', 'application/json')
        .set('Linear-Delivery', randomUUID())
        .set('Linear-Signature', sign(LINEAR_SECRET, raw))
        .send(raw);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 401,
        code: 'UNAUTHORIZED',
      });
      await expectUnchanged(before);
    } finally {
      await unconfigured.close();
    }
  });

  it('refuses a Linear delivery whose timestamp is 61 s off with 401 and changes nothing', async () => {
    const before = await snapshot();
    for (const skew of [-61_000, 61_000]) {
      const res = await postLinear(
        linearIssue('create', {}, { webhookTimestamp: Date.now() + skew }),
      );
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 401,
        code: 'UNAUTHORIZED',
      });
    }
    await expectUnchanged(before);
  });

  it('refuses a malformed body with 400 and changes nothing', async () => {
    const before = await snapshot();
    const broken = '{"action":"create","type":"Issue",';
    const res = await postLinear(broken);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 400,
      code: 'MALFORMED_JSON',
    });
    // Valid JSON, correctly signed, but not an issue.
    const invalid = await postLinear(linearIssue('update', { id: 42, state: 'Done' }));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'data.id' })]),
    );
    await postGithub(githubIssue('opened', { node_id: null })).expect(400);
    await postGithub('[1,2,3]').expect(400);
    // PostgreSQL cannot store NUL in text: refused up front rather than failing the write.
    await postLinear(linearIssue('create', { title: 'Export\u0000CSV' })).expect(400);
    await expectUnchanged(before);
  });

  it('answers an unknown event with 202 and changes nothing', async () => {
    const before = await snapshot();
    await postLinear({
      action: 'create',
      type: 'Comment',
      webhookTimestamp: Date.now(),
      data: { id: randomUUID(), body: 'Me too' },
    }).expect(202, { status: 'ignored', ignored: 'event' });
    await postGithub(
      { action: 'created', issue: {}, comment: {} },
      { event: 'issue_comment' },
    ).expect(202);
    await expectUnchanged(before);
  });

  it('ignores a replayed delivery: the same delivery id twice makes one row', async () => {
    const delivery = randomUUID();
    const first = linearIssue('create');
    const id = (first.data as { id: string }).id;
    await postLinear(first, { delivery }).expect(200, { status: 'applied' });
    // The replay carries a newer update, and still changes nothing.
    const replay = linearIssue('update', {
      id,
      title: 'Replayed title',
      updatedAt: new Date(Date.now() + 5_000).toISOString(),
    });
    await postLinear(replay, { delivery }).expect(200, { status: 'ignored', ignored: 'replay' });
    expect(await h.db.getRepository(TrackerIssueRow).findBy({ externalId: id })).toEqual([
      expect.objectContaining({ title: 'Export CSV downloads nothing' }),
    ]);
    expect(
      await h.db
        .getRepository(WebhookDelivery)
        .countBy({ provider: 'linear', deliveryId: delivery }),
    ).toBe(1);
  });

  it('never lets an older update overwrite a newer one', async () => {
    const newer = new Date(Date.now() + 10_000).toISOString();
    const older = new Date(Date.now() - 10_000).toISOString();
    const current = githubIssue('closed', {
      state: 'closed',
      title: 'Newest title',
      updated_at: newer,
    });
    const issue = current.issue as Record<string, unknown>;
    await postGithub(current).expect(200);
    await postGithub(
      githubIssue('reopened', { ...issue, state: 'open', title: 'Stale title', updated_at: older }),
    ).expect(200);
    expect(await mirrored(issue.node_id as string)).toMatchObject({
      title: 'Newest title',
      state: 'closed',
      open: false,
      remoteUpdatedAt: new Date(newer),
    });
  });

  it('moves the linked report with its ticket (resolved, reopened, closed), each step in its history', async () => {
    const externalId = randomUUID();
    const ticket = await h.db.getRepository(Ticket).save({
      projectId,
      provider: 'linear',
      externalId,
      key: 'ENG-431',
      url: 'https://linear.app/acme/issue/ENG-431',
      title: 'Export CSV downloads nothing',
      state: 'Todo',
    });
    const report = await h.db.getRepository(Report).save({
      projectId,
      source: 'api',
      description: 'Export is broken',
      status: 'filed',
    });
    await h.db
      .getRepository(ReportTicket)
      .save({ reportId: report.id, ticketId: ticket.id, relation: 'created' });

    const done = linearIssue('update', {
      id: externalId,
      identifier: 'ENG-431',
      state: { name: 'Done', type: 'completed' },
    });
    await postLinear(done).expect(200);
    // The same state again (another delivery) adds no second history entry.
    await postLinear({ ...done, webhookTimestamp: Date.now() }).expect(200);

    expect(await h.db.getRepository(Ticket).findOneByOrFail({ id: ticket.id })).toMatchObject({
      state: 'Done',
    });
    const history = await h.db
      .getRepository(PipelineEvent)
      .find({ where: { reportId: report.id, stage: 'tracker' }, order: { id: 'ASC' } });
    expect(history).toEqual([
      expect.objectContaining({
        event: 'transition',
        fromStatus: 'filed',
        toStatus: 'resolved',
        reason: 'ENG-431 moved to Done (completed)',
        details: expect.objectContaining({ from: 'Todo', to: 'Done', ticketKey: 'ENG-431' }),
      }),
    ]);
    expect(await h.db.getRepository(Report).findOneByOrFail({ id: report.id })).toMatchObject({
      status: 'resolved',
    });

    // Reopened, then cancelled: the report follows, and every step is in its history.
    await postLinear(
      linearIssue('update', {
        id: externalId,
        identifier: 'ENG-431',
        state: { name: 'Todo', type: 'unstarted' },
      }),
    ).expect(200);
    expect((await h.db.getRepository(Report).findOneByOrFail({ id: report.id })).status).toBe(
      'filed',
    );
    await postLinear(
      linearIssue('update', {
        id: externalId,
        identifier: 'ENG-431',
        state: { name: 'Canceled', type: 'canceled' },
      }),
    ).expect(200);
    expect((await h.db.getRepository(Report).findOneByOrFail({ id: report.id })).status).toBe(
      'closed',
    );
    const steps = await h.db
      .getRepository(PipelineEvent)
      .find({ where: { reportId: report.id, stage: 'tracker' }, order: { id: 'ASC' } });
    expect(steps.map((e) => [e.fromStatus, e.toStatus])).toEqual([
      ['filed', 'resolved'],
      ['resolved', 'filed'],
      ['filed', 'closed'],
    ]);
  });
});
