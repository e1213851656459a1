import { randomUUID } from 'node:crypto';
import type { Project } from '../../src/modules/projects/entities/project.entity';
import {
  GitHubAdapter,
  type GitHubAdapterOptions,
} from '../../src/modules/trackers/github/github.adapter';
import {
  InMemoryPendingCreates,
  type PendingCreates,
} from '../../src/modules/trackers/github/pending-creates';
import {
  draftTitle,
  renderTicketBody,
  reportMarker,
} from '../../src/modules/triage/engine/ticket/ticket-body';
import { TrackerError, type TicketDraft } from '../../src/modules/trackers/tracker';
import { reportPayload } from '../factories/report.factory';
import { FakeGitHub } from '../fakes/github.server';

// The real Octokit against a fake GitHub speaking its wire protocol; no Nest app needed.
const github = new FakeGitHub('ghp_test_token', ['acme/app']);
const project = { id: randomUUID(), slug: 'acme', trackerProvider: 'github' } as Project;

beforeAll(() => github.start());
afterAll(() => github.stop());
beforeEach(() => github.reset());

function adapter(overrides: Partial<GitHubAdapterOptions> = {}): GitHubAdapter {
  return new GitHubAdapter({
    token: 'ghp_test_token',
    repo: 'acme/app',
    baseUrl: github.url,
    pending: new InMemoryPendingCreates(),
    ...overrides,
  });
}

/** A draft as the filing service makes it, from a realistic report. */
function draft(): TicketDraft {
  const payload = reportPayload() as {
    description: string;
    reporter: { email: string; name: string; id: string };
    account: { id: string; name: string };
    page: { url: string; title: string };
    client: { userAgent: string };
  };
  const reportId = randomUUID();
  const body = renderTicketBody({
    reportId,
    description: payload.description,
    pageUrl: payload.page.url,
    pageTitle: payload.page.title,
    userAgent: payload.client.userAgent,
    client: payload.client,
    sentry: {},
    reporter: { ...payload.reporter, externalId: payload.reporter.id },
    account: {
      name: payload.account.name,
      externalId: payload.account.id,
      tier: null,
      revenue: null,
      crmUrl: null,
    },
    recording: null,
  });
  return { reportId, title: draftTitle(payload.description), body, labels: ['bug'] };
}

/** What the filing service does: look for the report's issue, create it only if there is none. */
async function file(tracker: GitHubAdapter, d: TicketDraft) {
  return (await tracker.findByReport(project, d.reportId)) ?? tracker.createIssue(project, d);
}

async function failure(promise: Promise<unknown>): Promise<TrackerError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrackerError);
  return error as TrackerError;
}

describe('GitHub adapter', () => {
  it('creates an issue with the default, repro and account labels, the body and its marker', async () => {
    const d = draft();
    const issue = await adapter({ assignees: ['octocat'] }).createIssue(project, d, {
      accountName: 'Acme Inc.',
    });

    expect(issue).toEqual({
      externalId: expect.any(String),
      key: 'acme/app#1',
      url: 'https://github.com/acme/app/issues/1',
      title: d.title,
      state: 'open',
    });
    const [create] = github.requestsTo('POST', /^\/repos\/acme\/app\/issues$/);
    expect(create.headers.authorization).toBe('token ghp_test_token');
    expect(create.body).toMatchObject({
      title: d.title,
      labels: ['bug', 'repro', 'account:Acme Inc.'],
      assignees: ['octocat'],
    });
    const stored = github.issues[0];
    expect(stored.body).toContain('## Summary');
    expect(stored.body?.startsWith(`${reportMarker(d.reportId)}\n`)).toBe(true);
    expect(issue.externalId).toBe(
      Buffer.from(`04:Issue${1000}`).toString('base64'), // the issue's node_id
    );
  });

  it('finds the issue a report created through search, by the marker in its body', async () => {
    const d = draft();
    const created = await adapter().createIssue(project, d);
    await adapter().createIssue(project, draft()); // another report's issue

    // A fresh adapter with no pending record: only search can find it.
    const found = await adapter().findByReport(project, d.reportId);

    expect(found).toEqual(created);
    const [search] = github.requestsTo('GET', /^\/search\/issues$/);
    expect(search.query.get('q')).toBe(
      `"repro:report=${d.reportId}" in:body repo:acme/app type:issue`,
    );
    expect(await adapter().findByReport(project, randomUUID())).toBeNull();
  });

  it('finds the issue through the pending record and the issue list while search lags', async () => {
    github.searchLag = true;
    const pending = new InMemoryPendingCreates();
    const d = draft();
    await pending.begin(d.reportId, 'acme/app');
    const posted = await adapter({ pending }).postIssue(d);
    await adapter({ pending }).postIssue(draft()); // a later issue by the same user

    const found = await adapter({ pending }).findByReport(project, d.reportId);

    expect(found?.key).toBe(`acme/app#${posted.number}`);
    const [list] = github.requestsTo('GET', /^\/repos\/acme\/app\/issues$/);
    expect(list.query.get('creator')).toBe('octokit-fixture-user-a');
    expect(list.query.get('state')).toBe('all');
    expect(list.query.get('since')).toBeTruthy();
    // Found once, the number is recorded and later lookups go straight to the issue.
    expect((await pending.find(d.reportId, 'acme/app'))?.number).toBe(posted.number);
  });

  it('follows Link pagination through the issue list', async () => {
    github.searchLag = true;
    const pending = new InMemoryPendingCreates();
    const d = draft();
    await pending.begin(d.reportId, 'acme/app');
    const tracker = adapter({ pending });
    for (let i = 0; i < 100; i++) await tracker.postIssue(draft());
    const posted = await tracker.postIssue(d);

    const found = await adapter({ pending }).findByReport(project, d.reportId);

    expect(found?.key).toBe(`acme/app#${posted.number}`);
    const pages = github.requestsTo('GET', /^\/repos\/acme\/app\/issues$/);
    expect(pages.map((p) => p.query.get('page') ?? '1')).toEqual(['1', '2']);
  });

  it('a crash between the create and recording its number yields the same issue, not a second', async () => {
    github.searchLag = true;
    const pending = new InMemoryPendingCreates();
    const d = draft();
    // The first attempt wrote its pending record and created the issue, then died.
    await pending.begin(d.reportId, 'acme/app');
    await adapter({ pending }).postIssue(d);

    // The retry runs in a fresh process with the same durable pending records.
    const retried = await file(adapter({ pending }), d);
    const again = await file(adapter({ pending }), d);

    expect(github.issues).toHaveLength(1);
    expect(retried.key).toBe('acme/app#1');
    expect(again).toEqual(retried);
  });

  it('after a lost create answer, adopts no issue whose marker Repro did not write: forged by another account, or quoted in a ticket', async () => {
    const pending = new InMemoryPendingCreates();
    const d = draft();
    const other = randomUUID();
    // Someone else opened an issue that starts with this report's marker.
    github.seedIssue('acme/app', {
      title: 'Looks like a Repro ticket',
      body: `${reportMarker(d.reportId)}\n\nAdopt me.`,
      creator: 'mallory',
    });
    // A ticket Repro filed for another report before customer text was made inert: the marker
    // is in the customer's quoted words, by the token's own account.
    github.seedIssue('acme/app', {
      title: 'Another bug',
      body: `## Summary\n\n> It breaks\n> ${reportMarker(d.reportId)}\n\n${reportMarker(other)}\n`,
    });
    // The create began, and its answer was lost before anything was posted.
    await pending.begin(d.reportId, 'acme/app');

    const filed = await file(adapter({ pending }), d);

    expect(filed.key).toBe('acme/app#3');
    expect(github.issues).toHaveLength(3);
    expect(github.issues[2].body?.startsWith(reportMarker(d.reportId))).toBe(true);
    // Without the pending record, search finds the three and picks the real one.
    expect(await adapter().findByReport(project, d.reportId)).toEqual(filed);
    // The older ticket is still found by its own marker (written last, before the move to the top).
    expect((await adapter().findByReport(project, other))?.key).toBe('acme/app#2');
  });

  it('posts a duplicate comment even when another comment quotes its marker', async () => {
    const tracker = adapter();
    const issue = await tracker.createIssue(project, draft());
    github.issues[0].comments.push('A customer wrote: <!-- repro:comment=duplicate:r1 -->');

    await tracker.addComment(issue, 'Another report of this bug.', 'duplicate:r1');
    await tracker.addComment(issue, 'Another report of this bug.', 'duplicate:r1');

    expect(github.issues[0].comments).toEqual([
      'A customer wrote: <!-- repro:comment=duplicate:r1 -->',
      '<!-- repro:comment=duplicate:r1 -->\n\nAnother report of this bug.',
    ]);
  });

  it('files each report once when retried after a successful create', async () => {
    const pending: PendingCreates = new InMemoryPendingCreates();
    const d = draft();
    github.searchLag = true;
    const first = await file(adapter({ pending }), d);
    const second = await file(adapter({ pending }), d);

    expect(second).toEqual(first);
    expect(github.requestsTo('POST', /^\/repos\/acme\/app\/issues$/)).toHaveLength(1);
  });

  it('comments on an issue', async () => {
    const tracker = adapter();
    const issue = await tracker.createIssue(project, draft());
    const number = tracker.numberFromKey(issue.key)!;

    const comment = await tracker.comment(number, 'Another customer reported this.');

    expect(comment.url).toMatch(/^https:\/\/github\.com\/acme\/app\/issues\/1#issuecomment-\d+$/);
    expect(github.issues[0].comments).toEqual(['Another customer reported this.']);
  });

  it('429 with retry-after is RATE_LIMITED with retryAfterMs', async () => {
    github.failNext(1, { kind: 'rate-limit', status: 429, retryAfterSeconds: 30 });

    const error = await failure(adapter().createIssue(project, draft()));

    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBe(30_000);
    expect(github.issues).toHaveLength(0);
  });

  it('403 with x-ratelimit-remaining 0 is RATE_LIMITED until the reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    github.failNext(1, { kind: 'rate-limit-reset', status: 403, resetEpochSeconds: reset });

    const error = await failure(adapter().findByReport(project, randomUUID()));

    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(110_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('403 without a rate limit is UNAUTHORIZED (the token may not do this)', async () => {
    github.failNext(1, { kind: 'forbidden' });

    expect((await failure(adapter().createIssue(project, draft()))).code).toBe('UNAUTHORIZED');
  });

  it('500 and 502 are TEMPORARY, and Octokit does not retry them itself', async () => {
    github.failNext(1, { kind: 'server', status: 500 });
    expect((await failure(adapter().createIssue(project, draft()))).code).toBe('TEMPORARY');
    github.failNext(1, { kind: 'server', status: 502 });
    expect((await failure(adapter().findByReport(project, randomUUID()))).code).toBe('TEMPORARY');
    expect(github.requests).toHaveLength(2);
  });

  it('a request that gets no answer in time is TEMPORARY', async () => {
    github.failNext(1, { kind: 'hang' });

    const error = await failure(adapter({ timeoutMs: 300 }).findByReport(project, randomUUID()));

    expect(error.code).toBe('TEMPORARY');
  });

  it('a refused connection is TEMPORARY', async () => {
    const closed = new FakeGitHub();
    await closed.start();
    const baseUrl = closed.url;
    await closed.stop();

    const error = await failure(adapter({ baseUrl }).findByReport(project, randomUUID()));

    expect(error.code).toBe('TEMPORARY');
  });

  it('a bad token is UNAUTHORIZED', async () => {
    const error = await failure(adapter({ token: 'ghp_wrong' }).createIssue(project, draft()));

    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('Bad credentials');
  });

  it('an unknown repository is NOT_FOUND', async () => {
    const error = await failure(adapter({ repo: 'acme/gone' }).createIssue(project, draft()));

    expect(error.code).toBe('NOT_FOUND');
  });

  it('works against a GitHub Enterprise Server base URL', async () => {
    const d = draft();
    const tracker = adapter({ baseUrl: `${github.url}/api/v3` });

    const issue = await file(tracker, d);

    expect(issue.key).toBe('acme/app#1');
    expect(github.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'GET /api/v3/search/issues',
      'POST /api/v3/repos/acme/app/issues',
    ]);
    expect(await tracker.findByReport(project, d.reportId)).toEqual(issue);
  });
});
