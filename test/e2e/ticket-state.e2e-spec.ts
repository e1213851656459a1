import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('PATCH /v1/tickets/:key: a person resolves, closes and reopens a built-in ticket', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let key: string;
  /** The report that created the ticket, and one a person merged into it. */
  let origin: { id: string; token: string };
  let merged: { id: string; token: string };

  const patch = (ticketKey: string, body: unknown, project = acme) =>
    request(app.url)
      .patch(`/v1/tickets/${encodeURIComponent(ticketKey)}`)
      .set(project.auth)
      .send(body as object);
  const status = async (id: string) =>
    (await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200)).body
      .status as string;
  /** What the reporter sees of their report (the conversation route, with their token). */
  const reporterView = async ({ id, token }: { id: string; token: string }) =>
    (
      await request(app.url)
        .get(`/v1/reports/${id}/messages`)
        .set({ Authorization: `Bearer ${token}` })
        .expect(200)
    ).body as { status: string };
  const history = (reportId: string) =>
    h.db.getRepository(PipelineEvent).find({ where: { reportId }, order: { id: 'ASC' } });

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db);
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { approvalTiers: ['Enterprise'] },
      acme.project.id,
    ]);
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ account: { id: 'acct-small', name: 'Small Co', tier: 'Starter' } }))
      .expect(202);
    origin = { id: created.body.id, token: created.body.reporterToken };
    const view = await waitForReport(app.url, acme.auth, origin.id, 'filed');
    key = view.ticket!.key;

    const other = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(
        reportPayload({
          description:
            'Refunds never arrive\n\nSteps: open Orders, refund an order.\nExpected: the money goes back.\nActual: nothing happens.',
          client: { userAgent: CHROME },
          account: { id: 'acct-big', name: 'Big Co', tier: 'Enterprise' },
        }),
      )
      .expect(202);
    merged = { id: other.body.id, token: other.body.reporterToken };
    await waitForReport(app.url, acme.auth, merged.id, 'needs_human');
    await request(app.url)
      .post(`/v1/reports/${merged.id}/decision`)
      .set(acme.auth)
      .send({ action: 'merge', target: key, reason: 'same bug' })
      .expect(200);
    await waitForReport(app.url, acme.auth, merged.id, 'duplicate');
  });
  afterAll(() => h.close());

  it('shows the ticket with its linked reports, their people and accounts', async () => {
    const res = await request(app.url).get(`/v1/tickets/${key}`).set(acme.auth).expect(200);
    expect(res.body).toMatchObject({
      key,
      state: 'open',
      provider: 'builtin',
      url: expect.stringMatching(new RegExp(`/app/tickets/${key}$`)),
      reportCount: 2,
    });
    expect(res.body.reports).toEqual([
      expect.objectContaining({
        id: origin.id,
        relation: 'created',
        status: 'filed',
        reporter: { name: 'Ana Lima', email: expect.stringMatching(/@acme\.example$/) },
        account: expect.objectContaining({ name: 'Small Co', tier: 'Starter' }),
      }),
      expect.objectContaining({
        id: merged.id,
        relation: 'duplicate',
        status: 'duplicate',
        account: expect.objectContaining({ name: 'Big Co', tier: 'Enterprise' }),
      }),
    ]);
    expect(res.body.accounts.map((a: { name: string }) => a.name).sort()).toEqual([
      'Big Co',
      'Small Co',
    ]);
  });

  it('resolves the ticket: its reports become resolved, for the reporters too, in their histories', async () => {
    const res = await patch(key, { state: 'resolved' }).expect(200);
    expect(res.body).toMatchObject({ key, state: 'resolved' });
    expect(res.body.reports.map((r: { status: string }) => r.status)).toEqual([
      'resolved',
      'resolved',
    ]);
    expect(await status(origin.id)).toBe('resolved');
    expect(await status(merged.id)).toBe('resolved');
    expect((await reporterView(origin)).status).toBe('resolved');
    expect((await reporterView(merged)).status).toBe('resolved');
    const last = (await history(merged.id)).at(-1)!;
    expect(last).toMatchObject({
      stage: 'tracker',
      event: 'transition',
      fromStatus: 'duplicate',
      toStatus: 'resolved',
      reason: `${key} moved to resolved`,
    });
    expect(last.details).toMatchObject({ provider: 'builtin', from: 'open', to: 'resolved' });
    // Dedupe no longer offers a done ticket to new reports.
    const [mirror] = await h.db.query<{ open: boolean; state: string }[]>(
      `SELECT open, state FROM tracker_issues WHERE project_id = $1 AND key = $2`,
      [acme.project.id, key],
    );
    expect(mirror).toEqual({ open: false, state: 'resolved' });
  });

  it('changes nothing when the ticket already has that state', async () => {
    const before = (await history(origin.id)).length;
    await patch(key, { state: 'resolved' }).expect(200);
    expect(await history(origin.id)).toHaveLength(before);
  });

  it('closes and reopens it: the reports follow, back to how they reached the ticket', async () => {
    await patch(key, { state: 'closed' }).expect(200);
    expect(await status(origin.id)).toBe('closed');
    expect(await status(merged.id)).toBe('closed');

    const reopened = await patch(key, { state: 'open' }).expect(200);
    expect(reopened.body.state).toBe('open');
    expect(await status(origin.id)).toBe('filed');
    expect(await status(merged.id)).toBe('duplicate');
    expect((await reporterView(origin)).status).toBe('filed');
    expect((await history(origin.id)).slice(-2).map((e) => e.toStatus)).toEqual([
      'closed',
      'filed',
    ]);
    const [mirror] = await h.db.query<{ open: boolean }[]>(
      `SELECT open FROM tracker_issues WHERE project_id = $1 AND key = $2`,
      [acme.project.id, key],
    );
    expect(mirror.open).toBe(true);
  });

  it('refuses a Linear or GitHub ticket with 409 and a link to change it there', async () => {
    await h.db.query(
      `INSERT INTO tickets (project_id, provider, external_id, key, url, title, state)
       VALUES ($1, 'linear', 'lin-1', 'ENG-431', 'https://linear.app/acme/issue/ENG-431', 'Checkout fails', 'Todo')`,
      [acme.project.id],
    );
    const res = await patch('ENG-431', { state: 'resolved' }).expect(409);
    expect(res.body.error).toMatchObject({
      code: 'TICKET_NOT_BUILTIN',
      details: { url: 'https://linear.app/acme/issue/ENG-431' },
    });
    const [row] = await h.db.query<{ state: string }[]>(
      `SELECT state FROM tickets WHERE key = 'ENG-431'`,
    );
    expect(row.state).toBe('Todo');
  });

  it("answers 404 for an unknown key or another project's ticket, 400 for an unknown state", async () => {
    await patch('REPRO-999999', { state: 'resolved' }).expect(404);
    const globex = await createProject(h.db, 'Globex');
    await patch(key, { state: 'resolved' }, globex).expect(404);
    const bad = await patch(key, { state: 'done' }).expect(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details.fields[0].field).toBe('state');
    await patch(key, {}).expect(400);
    expect(await status(origin.id)).toBe('filed');
  });
});
