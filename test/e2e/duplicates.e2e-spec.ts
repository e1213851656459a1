import request from 'supertest';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { PipelineService } from '../../src/modules/pipeline/pipeline.service';
import { StagesService } from '../../src/modules/pipeline/stages.service';
import { JobName } from '../../src/queue/queue.constants';
import { ReportTicket } from '../../src/modules/trackers/entities/report-ticket.entity';
import { TicketAccount } from '../../src/modules/trackers/entities/ticket-account.entity';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { reportPayload } from '../factories/report.factory';
import { FakeGitHub } from '../fakes/github.server';
import { FakeLinear } from '../fakes/linear.server';
import { createHarness, type Harness, type RunningApp } from '../support/harness';

/**
 * The actions behind a "duplicate" decision (the decision itself is dedupe's): the existing
 * ticket gets a comment and a customer link once per account, never a second ticket.
 */
async function scenario(h: Harness, app: RunningApp) {
  const auth = { Authorization: `Bearer ${app.firstKey!.key}` };
  // The file stage and the pipeline's merge, called directly: an API-only app runs no jobs.
  const stages = app.app.get(StagesService, { strict: false });
  const duplicates = app.app.get(PipelineService, { strict: false });
  const post = async (
    account: { id: string; name: string },
    description: string,
    status: Report['status'],
  ) => {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload({ account, description }))
      .expect(202);
    // An API-only app has no worker: put the report where the stage under test expects it.
    await h.db.getRepository(Report).update({ id: res.body.id }, { status });
    return res.body.id as string;
  };
  const original = await post(
    { id: 'acct_acme', name: 'Acme' },
    'Export to CSV is broken',
    'filing',
  );
  await stages.run(JobName.FileTicket, original, { reportId: original });
  const ticket = await h.db
    .getRepository(ReportTicket)
    .findOneOrFail({ where: { reportId: original }, relations: { ticket: true } })
    .then((link) => link.ticket!);
  return { auth, duplicates, post, ticket, original };
}

describe('duplicate actions on the built-in tracker', () => {
  let h: Harness;
  let app: RunningApp;
  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api');
  });
  afterAll(() => h.close());

  it('comments once per account, links the report, counts reports and accounts, and files nothing new', async () => {
    const { auth, duplicates, post, ticket } = await scenario(h, app);
    const globex = await post(
      { id: 'acct_globex', name: 'Globex' },
      'CSV export gives me an empty file',
      'deduping',
    );
    await duplicates.merge(globex, ticket.id, 'same failing request POST /api/export 500');
    const again = await post({ id: 'acct_globex', name: 'Globex' }, 'Still empty!!', 'deduping');
    await duplicates.merge(again, ticket.id, 'same failing request POST /api/export 500');
    const acme = await post(
      { id: 'acct_acme', name: 'Acme' },
      'me again, export still broken',
      'needs_human',
    );
    await duplicates.merge(acme, ticket.id, 'confirmed by a person');
    // A retry after everything was done changes nothing.
    await duplicates.merge(globex, ticket.id, 'same failing request POST /api/export 500');

    const detail = await request(app.url).get(`/v1/tickets/${ticket.key}`).set(auth).expect(200);
    expect(detail.body.comments).toHaveLength(1);
    expect(detail.body.comments[0].body).toContain('Another report of this bug, from **Globex**');
    expect(detail.body.comments[0].body).toContain('> CSV export gives me an empty file');
    expect(detail.body).toMatchObject({ reportCount: 4, accountCount: 2 });
    expect(await h.db.getRepository(Ticket).count()).toBe(1);
    for (const id of [globex, again, acme]) {
      expect((await request(app.url).get(`/v1/reports/${id}`).set(auth)).body).toMatchObject({
        status: 'duplicate',
        ticket: { key: ticket.key, relation: 'duplicate' },
      });
    }
    const audit = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: again, toStatus: 'duplicate' });
    expect(audit.reason).toBe(
      `Duplicate of ${ticket.key}: same failing request POST /api/export 500 (this account was already on the ticket; no new comment)`,
    );
    expect(audit.details).toMatchObject({ reports: 3, accounts: 2 });
  });
});

describe('duplicate actions on Linear', () => {
  const linear = new FakeLinear();
  let h: Harness;
  let app: RunningApp;
  beforeAll(async () => {
    await linear.start();
    linear.addTeam('ENG');
    h = await createHarness({
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_TEAM: 'ENG',
      LINEAR_API_URL: linear.url,
    });
    app = await h.start('api');
  });
  afterAll(async () => {
    await h.close();
    expect(linear.validationFailures).toEqual([]);
    await linear.stop();
  });

  it('comments and adds a customer need for the new account, once even across a crash, and never touches the issue', async () => {
    const { duplicates, post, ticket } = await scenario(h, app);
    const globex = await post(
      { id: 'acct_globex', name: 'Globex' },
      'CSV export gives me an empty file',
      'deduping',
    );
    await duplicates.merge(globex, ticket.id, 'same error fingerprint');
    // A crash after the comment and need, before they were recorded: the retry repeats neither.
    await h.db.getRepository(TicketAccount).update({ reportId: globex }, { announcedAt: null });
    await h.db.getRepository(Report).update({ id: globex }, { status: 'deduping' });
    await h.db.getRepository(ReportTicket).delete({ reportId: globex });
    await duplicates.merge(globex, ticket.id, 'same error fingerprint');

    expect(linear.comments).toHaveLength(1);
    expect(linear.comments[0]).toMatchObject({
      issueId: ticket.externalId,
      body: expect.stringContaining('**Globex**'),
    });
    const globexCustomer = linear.customers.find((c) => c.externalIds.includes('acct_globex'))!;
    expect(linear.needs.filter((n) => n.customerId === globexCustomer.id)).toEqual([
      expect.objectContaining({
        issueId: ticket.externalId,
        body: '> CSV export gives me an empty file',
      }),
    ]);
    expect(linear.issues).toHaveLength(1);
    // Commented and linked, never updated, closed, reassigned or archived.
    const names = linear.operations.map((o) => o.operationName ?? '');
    expect(names).toEqual(expect.arrayContaining(['createComment', 'createCustomerNeed']));
    expect(names.filter((n) => /update|archive|delete/i.test(n))).toEqual([]);
  });
});

describe('duplicate actions on GitHub', () => {
  const github = new FakeGitHub('ghp_dup_token', ['acme/web']);
  let h: Harness;
  let app: RunningApp;
  beforeAll(async () => {
    await github.start();
    h = await createHarness({
      GITHUB_TOKEN: github.token,
      GITHUB_REPO: 'acme/web',
      GITHUB_API_URL: github.url,
    });
    app = await h.start('api');
  });
  afterAll(async () => {
    await h.close();
    await github.stop();
  });

  it('announces a new account in one comment, even when retried after a crash, and leaves the issue open', async () => {
    const { duplicates, post, ticket } = await scenario(h, app);
    const umbrella = await post({ id: 'acct_umbrella', name: 'Umbrella' }, 'Same here', 'deduping');
    await duplicates.merge(umbrella, ticket.id, 'same error');
    await h.db.getRepository(TicketAccount).update({ reportId: umbrella }, { announcedAt: null });
    await h.db.getRepository(Report).update({ id: umbrella }, { status: 'deduping' });
    await h.db.getRepository(ReportTicket).delete({ reportId: umbrella });
    await duplicates.merge(umbrella, ticket.id, 'same error');

    expect(github.issues).toHaveLength(1);
    const [issue] = github.issues;
    expect(issue.comments).toHaveLength(1);
    expect(issue.comments[0]).toContain('**Umbrella**');
    expect(issue.comments[0]).toContain(`<!-- repro:comment=duplicate:${umbrella} -->`);
    expect(issue.state).toBe('open');
  });
});
