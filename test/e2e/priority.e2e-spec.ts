import request from 'supertest';
import { PipelineService } from '../../src/modules/pipeline/pipeline.service';
import { StagesService } from '../../src/modules/pipeline/stages.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { ReportTicket } from '../../src/modules/trackers/entities/report-ticket.entity';
import { TicketAccount } from '../../src/modules/trackers/entities/ticket-account.entity';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { JobName } from '../../src/queue/queue.constants';
import { createProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { FakeGitHub } from '../fakes/github.server';
import { FakeLinear } from '../fakes/linear.server';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

type Account = { id: string; name: string; tier?: string };

/**
 * Files one report and merges others into its ticket, calling the file stage and the pipeline's
 * merge directly (an API-only app runs no jobs), as a dedupe decision would.
 */
function world(h: Harness, app: RunningApp) {
  const auth = { Authorization: `Bearer ${app.firstKey!.key}` };
  const stages = app.app.get(StagesService, { strict: false });
  const pipeline = app.app.get(PipelineService, { strict: false });
  const post = async (account: Account, description: string, status: Report['status']) => {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload({ account, description }))
      .expect(202);
    await h.db.getRepository(Report).update({ id: res.body.id }, { status });
    return res.body.id as string;
  };
  const file = async (account: Account, description: string) => {
    const id = await post(account, description, 'filing');
    await stages.run(JobName.FileTicket, id, { reportId: id });
    const link = await h.db
      .getRepository(ReportTicket)
      .findOneOrFail({ where: { reportId: id }, relations: { ticket: true } });
    return { id, ticket: link.ticket! };
  };
  const merge = async (ticket: Ticket, account: Account, description: string) => {
    const id = await post(account, description, 'deduping');
    await pipeline.merge(id, ticket.id, 'same failing request');
    return id;
  };
  /** Undoes what a merge recorded after its tracker calls, as a crash right then would. */
  const crashAfterTracker = async (id: string, ticket: Ticket, priority: Ticket['priority']) => {
    await h.db.getRepository(TicketAccount).update({ reportId: id }, { announcedAt: null });
    await h.db.getRepository(Report).update({ id }, { status: 'deduping' });
    await h.db.getRepository(ReportTicket).delete({ reportId: id });
    await h.db.query(`UPDATE tickets SET priority = $2 WHERE id = $1`, [ticket.id, priority]);
  };
  const stored = (ticket: Ticket) => h.db.getRepository(Ticket).findOneByOrFail({ id: ticket.id });
  return { auth, post, file, merge, crashAfterTracker, stored };
}

const ENTERPRISE: Account = { id: 'acct_initech', name: 'Initech', tier: 'Enterprise' };
const free = (n: number): Account => ({ id: `acct_free_${n}`, name: `Shop ${n}`, tier: 'free' });

describe('priority on Linear', () => {
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

  const updates = (issueId: string) =>
    linear.operations.filter(
      (o) => o.operationName === 'updateIssue' && o.variables.id === issueId,
    );

  it('creates the issue with the priority an enterprise account gives, and raises it once more accounts report it, saying why', async () => {
    const w = world(h, app);
    const { id, ticket } = await w.file(ENTERPRISE, 'Invoice totals show the wrong currency');
    const issue = linear.issues.find((i) => i.id === ticket.externalId)!;
    // Not assessed (medium assumed), one step up for the enterprise account: high, Linear's 2.
    expect(issue.priority).toBe(2);
    expect(issue.description).toContain(
      'Priority: **high** (Severity not assessed (medium assumed); Enterprise account)',
    );
    const view = await request(app.url).get(`/v1/reports/${id}`).set(w.auth).expect(200);
    expect(view.body.priority).toEqual({
      level: 'high',
      reasons: ['Severity not assessed (medium assumed)', 'Enterprise account'],
    });

    // A second account: still below "many"; nothing changes on Linear.
    await w.merge(ticket, free(1), 'Wrong currency symbol on my invoice');
    expect(updates(issue.id)).toEqual([]);
    expect(issue.priority).toBe(2);

    // A third account makes it widespread: urgent (1), raised with issueUpdate, the comment says why.
    const third = await w.merge(ticket, free(2), 'Invoices show dollars instead of euros');
    expect(updates(issue.id)).toEqual([
      expect.objectContaining({ variables: expect.objectContaining({ input: { priority: 1 } }) }),
    ]);
    expect(issue.priority).toBe(1);
    const comment = linear.comments.filter((c) => c.issueId === issue.id).at(-1)!;
    expect(comment.body).toContain('> Invoices show dollars instead of euros');
    expect(comment.body).toContain(
      'Priority raised from high to **urgent**: Severity not assessed (medium assumed); Enterprise account; 3 reports from 3 accounts.',
    );
    expect((await w.stored(ticket)).priority).toMatchObject({ level: 'urgent' });
    const raised = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: third, event: 'urgent_raised' });
    expect(raised.reason).toContain(`${ticket.key} raised to urgent by this report`);
    const merged = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: third, toStatus: 'duplicate' });
    expect(merged.reason).toContain('Priority raised from high to urgent');
  });

  it('raises once however often the merge is retried after a crash, and never lowers a priority a person set higher', async () => {
    const w = world(h, app);
    const { ticket } = await w.file(free(10), 'Calendar export misses recurring events');
    const issue = linear.issues.find((i) => i.id === ticket.externalId)!;
    expect(issue.priority).toBe(3);
    await w.merge(ticket, free(11), 'Recurring meetings absent from the exported calendar');
    const before = (await w.stored(ticket)).priority;
    const third = await w.merge(ticket, free(12), 'ICS file lacks my weekly events');
    expect(updates(issue.id)).toHaveLength(1);
    expect(issue.priority).toBe(2);

    // The crash came after Linear was updated and commented, before Repro recorded it.
    await w.crashAfterTracker(third, ticket, before);
    await app.app
      .get(PipelineService, { strict: false })
      .merge(third, ticket.id, 'same failing request');
    expect(updates(issue.id)).toHaveLength(1);
    const raises = linear.comments.filter(
      (c) => c.issueId === issue.id && c.body.includes('Priority raised'),
    );
    expect(raises).toHaveLength(1);
    expect((await w.stored(ticket)).priority).toMatchObject({ level: 'high' });

    // Someone made another ticket urgent on Linear; three accounts make it high: it stays urgent.
    const other = await w.file(free(15), 'Dark mode resets after logout');
    const otherIssue = linear.issues.find((i) => i.id === other.ticket.externalId)!;
    otherIssue.priority = 1;
    await w.merge(other.ticket, free(16), 'Theme goes back to light when I sign out');
    await w.merge(other.ticket, free(17), 'Dark theme not remembered');
    expect((await w.stored(other.ticket)).priority).toMatchObject({ level: 'high' });
    expect(updates(otherIssue.id)).toEqual([]);
    expect(otherIssue.priority).toBe(1);
  });
});

describe('priority on GitHub', () => {
  const github = new FakeGitHub('ghp_priority_token', ['acme/web']);
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

  it('labels the issue with its priority and swaps the label when duplicates raise it', async () => {
    const w = world(h, app);
    const { ticket } = await w.file(free(20), 'Search box ignores accented letters');
    const issue = github.issues.find((i) => i.number === Number(ticket.key.split('#')[1]))!;
    expect(issue.labels).toContain('priority: medium');

    await w.merge(ticket, free(21), 'Searching for café finds nothing');
    const third = await w.merge(ticket, ENTERPRISE, 'Search fails on names with umlauts');
    // Three accounts and an enterprise one among them: two steps, medium to urgent.
    expect(issue.labels.filter((l) => l.startsWith('priority:'))).toEqual(['priority: urgent']);
    const comment = issue.comments.find((c) => c.includes(`repro:comment=duplicate:${third}`))!;
    expect(comment).toContain('**Initech** (Enterprise)');
    expect(comment).toContain('Priority raised from medium to **urgent**');

    // The same account again: no new announcement, and nothing left to raise.
    await w.merge(ticket, ENTERPRISE, 'Still broken for accented names');
    expect(issue.comments).toHaveLength(2);
    expect(issue.labels.filter((l) => l.startsWith('priority:'))).toEqual(['priority: urgent']);
  });
});

describe('priority on the built-in tracker', () => {
  let h: Harness;
  let app: RunningApp;
  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('api');
  });
  afterAll(() => h.close());

  it('raises a built-in ticket when duplicates from more accounts join, and shows it on the ticket', async () => {
    const w = world(h, app);
    const { ticket } = await w.file(free(30), 'Avatar upload spins forever');
    const issueOf = () =>
      h.db.getRepository(BuiltinIssue).findOneByOrFail({ id: ticket.externalId });
    expect((await issueOf()).priority).toBe('medium');
    await w.merge(ticket, free(31), 'Profile picture never finishes uploading');
    await w.merge(ticket, free(32), 'Cannot change my avatar, stuck loading');
    expect((await issueOf()).priority).toBe('high');
    const detail = await request(app.url).get(`/v1/tickets/${ticket.key}`).set(w.auth).expect(200);
    expect(detail.body.priority).toEqual({
      level: 'high',
      reasons: ['Severity not assessed (medium assumed)', '3 reports from 3 accounts'],
    });
    expect(detail.body.comments.at(-1).body).toContain(
      'Priority raised from medium to **high**: Severity not assessed (medium assumed); 3 reports from 3 accounts.',
    );
  });
});

describe('urgent reports under the default policy', () => {
  let h: Harness;
  let app: RunningApp;
  beforeAll(async () => {
    // The real default for approvals (an empty value is unset); no questions, so reports go on.
    h = await createHarness({ AGENT_APPROVAL_SEVERITIES: '' });
    app = await h.start('all');
  });
  afterAll(() => h.close());

  it('files an urgent report at once, shows its priority, and records that a person should know', async () => {
    const acme = await createProject(h.db);
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(
        reportPayload({
          description:
            'Checkout broken for everyone\n\nNobody can pay since the morning release; the Pay button shows an error.',
          account: { id: 'acct_umbrella', name: 'Umbrella', tier: 'enterprise' },
        }),
      )
      .expect(202);
    const view = await waitForReport(app.url, acme.auth, created.body.id, 'filed');
    expect(view.priority?.level).toBe('urgent');
    expect(view.priority?.reasons).toEqual(
      // The severity's reason may say which words made it urgent.
      expect.arrayContaining([expect.stringMatching(/^Severity urgent\b/), 'Enterprise account']),
    );
    expect(view.urgentFiled).toEqual({
      ticketKey: view.ticket!.key,
      reasons: view.priority!.reasons,
    });

    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.body.id });
    expect(issue.priority).toBe('urgent');
    expect(issue.body).toContain('Priority: **urgent**');
    const ticket = await request(app.url)
      .get(`/v1/tickets/${view.ticket!.key}`)
      .set(acme.auth)
      .expect(200);
    expect(ticket.body.priority).toEqual(view.priority);

    const told = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: created.body.id, event: 'urgent_filed' });
    expect(told.reason).toContain(`Urgent ticket ${view.ticket!.key} filed without waiting`);
    expect(
      await h.db
        .getRepository(PipelineEvent)
        .countBy({ reportId: created.body.id, toStatus: 'needs_human' }),
    ).toBe(0);
  });

  it('still holds an urgent report for a person in a project that asks for approval', async () => {
    const careful = await createProject(h.db, 'Careful');
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { approvalSeverities: ['urgent'] },
      careful.project.id,
    ]);
    const created = await request(app.url)
      .post('/v1/reports')
      .set(careful.auth)
      .send(
        reportPayload({
          description: 'Data loss: all our saved drafts were deleted after the update',
        }),
      )
      .expect(202);
    const view = await waitForReport(app.url, careful.auth, created.body.id, 'needs_human');
    expect(view.ticket).toBeNull();
    expect(view.urgentFiled).toBeNull();
    expect(
      await h.db.getRepository(BuiltinIssue).countBy({ originReportId: created.body.id }),
    ).toBe(0);
    const held = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: created.body.id, toStatus: 'needs_human' });
    expect(held.reason).toMatch(/Severity urgent needs a person's approval/);
  });
});
