import { randomUUID } from 'node:crypto';
import type { Project } from '../../src/modules/projects/entities/project.entity';
import { reportMarker } from '../../src/modules/triage/engine/ticket/ticket-body';
import { type TicketDraft, TrackerError } from '../../src/modules/trackers/tracker';
import {
  LinearAdapter,
  type LinearAdapterOptions,
  linearIssueIdFor,
} from '../../src/modules/trackers/linear/linear.adapter';
import { FakeLinear } from '../fakes/linear.server';

const PUBLIC_URL = 'https://repro.example.com';
// The adapter does not read the project: Linear settings come from its options.
const project = { id: randomUUID(), name: 'Acme' } as Project;

function draft(reportId = randomUUID()): TicketDraft {
  return {
    reportId,
    title: 'Export is broken',
    body: `## Reporter's words\n\n> Export is broken. I click Export CSV and nothing downloads.\n\n${reportMarker(reportId)}`,
    labels: ['bug'],
  };
}

async function trackerError(promise: Promise<unknown>): Promise<TrackerError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrackerError);
  return error as TrackerError;
}

describe('Linear adapter against a schema-validating fake Linear', () => {
  let linear: FakeLinear;
  let adapter: LinearAdapter;

  function makeAdapter(overrides: Partial<LinearAdapterOptions> = {}): LinearAdapter {
    return new LinearAdapter(
      {
        apiKey: linear.apiKey,
        apiUrl: linear.url,
        team: 'ENG',
        defaultLabels: ['repro'],
        defaultState: 'Triage',
        ...overrides,
      },
      PUBLIC_URL,
    );
  }

  beforeEach(async () => {
    linear = new FakeLinear();
    await linear.start();
    const eng = linear.addTeam('ENG', 'Engineering');
    linear.addTeam('OPS', 'Operations');
    linear.addLabel('bug', eng);
    adapter = makeAdapter();
  });

  afterEach(async () => {
    // Every operation the real SDK sent must be one Linear's schema accepts.
    expect(linear.validationFailures).toEqual([]);
    await linear.stop();
  });

  it('creates an issue with labels (creating missing ones), state and the marker link', async () => {
    const d = draft();
    const issue = await adapter.createIssue(project, { ...d, priority: 2 });

    expect(issue).toEqual({
      externalId: linearIssueIdFor(d.reportId),
      key: 'ENG-1',
      url: 'https://linear.app/acme/issue/eng-1',
      title: 'Export is broken',
      state: 'Triage',
    });
    const stored = linear.issues[0];
    expect(stored.description).toBe(d.body);
    expect(stored.description).toContain(reportMarker(d.reportId));
    expect(stored.priority).toBe(2);
    const labelNames = stored.labelIds.map((id) => linear.labels.find((l) => l.id === id)?.name);
    expect(labelNames.sort()).toEqual(['bug', 'repro']);
    // "repro" did not exist: it was created in the ENG team, once.
    const repro = linear.labels.filter((l) => l.name === 'repro');
    expect(repro).toHaveLength(1);
    expect(repro[0].team?.key).toBe('ENG');
    expect(linear.attachments).toEqual([
      expect.objectContaining({
        issueId: stored.id,
        url: `${PUBLIC_URL}/v1/reports/${d.reportId}`,
        title: 'Repro report',
      }),
    ]);
    // The SDK sent the API key as Linear expects it: the bare key, no "Bearer".
    expect(new Set(linear.operations.map((o) => o.authorization))).toEqual(
      new Set([linear.apiKey]),
    );
  });

  it("reuses a workspace label whatever its case, never another team's label", async () => {
    const workspace = linear.addLabel('Frontend', null);
    const opsTeam = linear.teams.filter((t) => t.key === 'OPS')[0];
    const ops = linear.addLabel('backend', opsTeam);

    await makeAdapter({ defaultLabels: ['frontend', 'backend'] }).createIssue(project, draft());

    const labelIds = linear.issues[0].labelIds;
    expect(labelIds).toContain(workspace.id);
    expect(labelIds).not.toContain(ops.id);
    const backend = linear.labels.filter((l) => l.name === 'backend');
    expect(backend.map((l) => l.team?.key).sort()).toEqual(['ENG', 'OPS']);
    expect(linear.labels.filter((l) => l.name.toLowerCase() === 'frontend')).toHaveLength(1);
  });

  it('finds the issue a report created, and nothing for another report', async () => {
    const d = draft();
    const created = await adapter.createIssue(project, d);

    await expect(adapter.findByReport(project, d.reportId)).resolves.toEqual(created);
    await expect(adapter.findByReport(project, randomUUID())).resolves.toBeNull();
    expect(linear.issues).toHaveLength(1);
  });

  it('finds and repairs an issue whose creation died before the marker was linked', async () => {
    const d = draft();
    // The crash window: issueCreate succeeded, attachmentLinkURL never ran.
    const orphan = await adapter.createIssueWithoutMarker(d);
    expect(linear.attachments).toHaveLength(0);

    // The retried filing looks first, as TicketFilingService does, and must not create another.
    const found = await adapter.findByReport(project, d.reportId);
    expect(found).toEqual(orphan);
    expect(linear.issues).toHaveLength(1);
    expect(linear.attachments.map((a) => a.url)).toEqual([
      `${PUBLIC_URL}/v1/reports/${d.reportId}`,
    ]);
  });

  it('returns the existing issue when a concurrent create for the same report won', async () => {
    const d = draft();
    const first = await adapter.createIssueWithoutMarker(d);
    // A second worker that missed it in findByReport: Linear refuses the same id.
    const second = await adapter.createIssue(project, d);

    expect(second).toEqual(first);
    expect(linear.issues).toHaveLength(1);
  });

  it('links the issue to the customer, upserted by external id, with the reporter words', async () => {
    const issue = await adapter.createIssue(project, draft());
    const account = {
      externalId: 'acct_42',
      name: 'Acme Inc.',
      domains: ['acme.com'],
      tier: 'Enterprise',
      revenue: 120000,
    };

    await adapter.linkCustomer(issue.externalId, account, 'Export is broken.');
    const second = () =>
      adapter.linkCustomer(
        issue.externalId,
        { ...account, domains: ['acme.com', 'acme.io'] },
        'Still broken today.',
        { idempotencyKey: 'report-2' },
      );
    const first = await second();
    // A retried job: the same need, not a second one.
    await expect(second()).resolves.toEqual(first);

    expect(linear.customers).toEqual([
      expect.objectContaining({
        name: 'Acme Inc.',
        externalIds: ['acct_42'],
        domains: ['acme.com', 'acme.io'],
        tierName: 'Enterprise',
        revenue: 120000,
      }),
    ]);
    expect(linear.needs.map((n) => [n.issueId, n.customerId, n.body])).toEqual([
      [issue.externalId, linear.customers[0].id, 'Export is broken.'],
      [issue.externalId, linear.customers[0].id, 'Still broken today.'],
    ]);
  });

  it('adds link attachments and comments to the issue', async () => {
    const issue = await adapter.createIssue(project, draft());

    await adapter.addLinkAttachment(issue.externalId, 'https://sentry.io/e/1', 'Sentry event');
    const comment = () =>
      adapter.comment(issue.externalId, 'A second report matched this issue.', {
        idempotencyKey: 'dup:report-2',
      });
    const first = await comment();
    await expect(comment()).resolves.toEqual(first);

    expect(linear.attachments.map((a) => [a.url, a.title])).toContainEqual([
      'https://sentry.io/e/1',
      'Sentry event',
    ]);
    expect(linear.comments.map((c) => [c.issueId, c.body])).toEqual([
      [issue.externalId, 'A second report matched this issue.'],
    ]);
  });

  it('turns a 429 into RATE_LIMITED with the Retry-After delay', async () => {
    linear.fail({ kind: 'ratelimit', retryAfterSeconds: 42 });

    const error = await trackerError(adapter.findByReport(project, randomUUID()));

    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBe(42_000);
  });

  it('uses the rate-limit reset header when there is no Retry-After', async () => {
    linear.fail({ kind: 'ratelimit', resetAtMs: Date.now() + 90_000 });

    const error = await trackerError(adapter.createIssue(project, draft()));

    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(80_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(90_000);
    expect(linear.issues).toHaveLength(0);
  });

  it('turns a 500 into TEMPORARY', async () => {
    linear.fail({ kind: 'server-error' });

    const error = await trackerError(adapter.createIssue(project, draft()));

    expect(error.code).toBe('TEMPORARY');
  });

  it('turns a rejected or wrong API key into UNAUTHORIZED', async () => {
    linear.fail({ kind: 'unauthorized' });
    expect((await trackerError(adapter.findByReport(project, randomUUID()))).code).toBe(
      'UNAUTHORIZED',
    );

    const wrongKey = makeAdapter({ apiKey: 'lin_api_revoked' });
    expect((await trackerError(wrongKey.createIssue(project, draft()))).code).toBe('UNAUTHORIZED');
    expect(linear.issues).toHaveLength(0);
  });

  it('gives up on a Linear that never answers, as TEMPORARY', async () => {
    linear.fail({ kind: 'hang' });
    const impatient = makeAdapter({ timeoutMs: 300 });

    const error = await trackerError(impatient.findByReport(project, randomUUID()));

    expect(error.code).toBe('TEMPORARY');
  });

  it('reports an unknown team as NOT_FOUND', async () => {
    const error = await trackerError(makeAdapter({ team: 'NOPE' }).createIssue(project, draft()));

    expect(error.code).toBe('NOT_FOUND');
  });

  it('refuses an operation that does not match the schema', async () => {
    const response = await fetch(linear.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: linear.apiKey },
      body: JSON.stringify({ query: 'query Bad { issues { nodes { notAField } } }' }),
    });

    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors[0].message).toMatch(/notAField/);
    // This one was sent on purpose: clear it so the after-each check covers the SDK only.
    expect(linear.validationFailures).toHaveLength(1);
    linear.operations.length = 0;
  });
});
