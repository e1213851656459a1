import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { BuiltinComment } from '../../src/modules/trackers/builtin/builtin-comment.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A report that states everything, so the agent asks nothing and goes straight to its decision. */
function complete(title: string, account?: Record<string, unknown>): Record<string, unknown> {
  return {
    description: `${title}\n\nSteps: open Orders, choose an order, press Pay now.\nExpected: the payment goes through.\nActual: "Payment failed" for every customer since this morning; nobody can pay, we are losing orders.`,
    page: { url: 'https://app.acme.example/orders/5521/pay' },
    client: { userAgent: CHROME },
    ...(account ? { account } : {}),
  };
}

describe('policy: what the agent may do alone, and what a person decides', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness({
      AGENT_MAX_QUESTIONS: '3',
      AGENT_AUTO_FILE_THRESHOLD: '0.5',
      AGENT_APPROVAL_SEVERITIES: 'urgent',
    });
    app = await h.start('all');
    acme = await createProject(h.db);
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { approvalTiers: ['Enterprise'] },
      acme.project.id,
    ]);
  });
  afterAll(() => h.close());

  async function waiting(body: Record<string, unknown>): Promise<{ id: string; view: ReportView }> {
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(body)
      .expect(202);
    const id = created.body.id as string;
    return { id, view: await waitForReport(app.url, acme.auth, id, 'needs_human') };
  }

  const decide = (id: string, body: Record<string, unknown>) =>
    request(app.url).post(`/v1/reports/${id}/decision`).set(acme.auth).send(body);

  it('sends an urgent report from a listed tier to a person, with the proposed ticket', async () => {
    const { id, view } = await waiting(
      complete('Customers cannot pay their orders', {
        id: 'acct-big',
        name: 'Big Co',
        tier: 'enterprise',
      }),
    );
    expect(view.ticket).toBeNull();
    expect(view.triage?.proposal).toMatchObject({ severity: 'urgent' });
    expect(view.triage?.proposal?.title).toBeTruthy();
    const moved = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, toStatus: 'needs_human' });
    expect(moved.stage).toBe('policy');
    expect(moved.reason).toMatch(/Severity urgent needs a person's approval/);
    expect(moved.details.proposal).toMatchObject({ severity: 'urgent' });
    expect(await h.db.getRepository(BuiltinIssue).countBy({ originReportId: id })).toBe(0);
  });

  it('asks a person for a listed tier even when the report is not urgent', async () => {
    const { id } = await waiting({
      description:
        'The avatar upload crops my photo\n\nSteps: open Profile, upload a photo.\nExpected: the whole photo.\nActual: the top is cut off, every time.',
      page: { url: 'https://app.acme.example/profile' },
      client: { userAgent: CHROME },
      account: { id: 'acct-big-2', name: 'Bigger Co', tier: 'ENTERPRISE' },
    });
    const moved = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, toStatus: 'needs_human' });
    expect(moved.reason).toMatch(/Reports from ENTERPRISE accounts need a person's approval/);
  });

  it('files the edited ticket when a person approves with edits', async () => {
    const { id } = await waiting(
      complete('Paying an order fails', { id: 'acct-e1', tier: 'enterprise' }),
    );
    const res = await decide(id, {
      action: 'approve_with_edits',
      ticket: {
        title: 'Pay now fails for every order (payment provider 502)',
        expected: 'The order is paid and marked as such',
        severity: 'high',
        steps: ['Open any order', 'Press Pay now'],
      },
    }).expect(200);
    expect(res.body).toEqual({ id, status: 'filing' });
    const filed = await waitForReport(app.url, acme.auth, id, 'filed');
    const issue = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: id });
    expect(issue.title).toBe('Pay now fails for every order (payment provider 502)');
    expect(issue.body).toContain('Severity: **high**');
    expect(issue.body).toContain('- **Expected:** The order is paid and marked as such');
    expect(issue.body).toMatch(/## Steps to reproduce\n\n1\. Open any order\n2\. Press Pay now/);
    expect(filed.triage?.humanDecision).toMatchObject({ action: 'approve_with_edits' });
    // Decided once: a second decision is refused.
    const again = await decide(id, { action: 'approve' }).expect(409);
    expect(again.body.error).toMatchObject({
      code: 'NOT_AWAITING_DECISION',
      details: { field: 'status' },
    });
  });

  it('files the proposal as it is when a person approves', async () => {
    const { id, view } = await waiting(
      complete('Paying fails again', { id: 'acct-e2', tier: 'enterprise' }),
    );
    await decide(id, { action: 'approve' }).expect(200);
    await waitForReport(app.url, acme.auth, id, 'filed');
    const issue = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: id });
    expect(issue.title).toBe(view.triage!.proposal!.title);
  });

  it('merges into the ticket a person names, and refuses a ticket that does not exist', async () => {
    const first = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send({
        description:
          "Invoices list is empty\n\nSteps:\n1. Open Invoices\n2. Choose March\n\nExpected: last month's invoices.\nActual: an empty list, every time since Monday.",
        page: { url: 'https://app.acme.example/invoices' },
        client: { userAgent: CHROME },
      })
      .expect(202);
    const filed = await waitForReport(app.url, acme.auth, first.body.id, 'filed');
    const key = filed.ticket!.key;

    const { id } = await waiting(
      complete('Paying fails for us too, card 4111 1111 1111 1111, ask bob@customer.example', {
        id: 'acct-e3',
        tier: 'enterprise',
      }),
    );
    const unknown = await decide(id, { action: 'merge', target: 'REPRO-99999' }).expect(404);
    expect(unknown.body.error).toMatchObject({ code: 'NOT_FOUND', details: { field: 'target' } });
    expect((await request(app.url).get(`/v1/reports/${id}`).set(acme.auth)).body.status).toBe(
      'needs_human',
    );

    await decide(id, { action: 'merge', target: key, reason: 'same payment outage' }).expect(200);
    const merged = await waitForReport(app.url, acme.auth, id, 'duplicate');
    expect(merged.ticket).toMatchObject({ key, relation: 'duplicate' });
    // The comment on the ticket quotes the reporter, redacted.
    const ticket = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: first.body.id });
    const comments = await h.db.getRepository(BuiltinComment).findBy({ issueId: ticket.id });
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain('[card]');
    expect(comments[0].body).not.toContain('4111');
    expect(comments[0].body).not.toContain('bob@customer.example');
    expect(await h.db.getRepository(BuiltinIssue).countBy({ originReportId: id })).toBe(0);
  });

  it('rejects with a reason, and needs one', async () => {
    const { id } = await waiting(
      complete('Paying fails (test)', { id: 'acct-e4', tier: 'enterprise' }),
    );
    const noReason = await decide(id, { action: 'reject' }).expect(400);
    expect(noReason.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(
      'reason',
    );
    await decide(id, { action: 'reject', reason: 'Our own load test, not a customer' }).expect(200);
    const rejected = (await request(app.url).get(`/v1/reports/${id}`).set(acme.auth))
      .body as ReportView;
    expect(rejected.status).toBe('rejected');
    const moved = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, toStatus: 'rejected' });
    expect(moved.reason).toBe('Rejected by a person: Our own load test, not a customer');
  });

  it('refuses bad decisions with the offending field, changing nothing', async () => {
    const { id } = await waiting(
      complete('Paying fails (bad input)', { id: 'acct-e5', tier: 'enterprise' }),
    );
    const fieldsOf = (res: request.Response) =>
      (res.body.error.details.fields as { field: string }[]).map((f) => f.field);
    expect(fieldsOf(await decide(id, { action: 'ship-it' }).expect(400))).toContain('action');
    expect(fieldsOf(await decide(id, { action: 'merge' }).expect(400))).toContain('target');
    expect(fieldsOf(await decide(id, { action: 'approve_with_edits' }).expect(400))).toContain(
      'ticket',
    );
    expect(
      fieldsOf(
        await decide(id, { action: 'approve_with_edits', ticket: { severity: 'critical' } }).expect(
          400,
        ),
      ),
    ).toContain('ticket.severity');
    const view = (await request(app.url).get(`/v1/reports/${id}`).set(acme.auth))
      .body as ReportView;
    expect(view.status).toBe('needs_human');
    expect(view.triage?.humanDecision).toBeNull();

    // Only a report waiting for a person takes a decision; another project's report is unknown.
    const other = await createProject(h.db, 'Other');
    await request(app.url)
      .post(`/v1/reports/${id}/decision`)
      .set(other.auth)
      .send({ action: 'approve' })
      .expect(404);
  });
});
