import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { SentryMatch } from '../../src/modules/sentry/entities/sentry-match.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { FakeSentryApi, type Issue } from '../fakes/sentry-api.server';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { FULL_PIPELINE, waitForReport } from '../support/reports';

const MIN = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms);
/** A reporter no Sentry event names, so only the evidence a test sets up can match. */
const stranger = () => ({ email: `nobody-${randomBytes(3).toString('hex')}@elsewhere.example` });

interface Filed {
  id: string;
  view: ReportView;
  body: string;
  audit: PipelineEvent;
}

/** Reports through the whole pipeline, against a fake Sentry web API. */
describe('matching reports to Sentry issues', () => {
  const sentry = new FakeSentryApi();
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    await sentry.start();
    h = await createHarness({
      SENTRY_AUTH_TOKEN: sentry.token,
      SENTRY_ORG: sentry.org,
      SENTRY_BASE_URL: sentry.baseUrl,
      SENTRY_TIMEOUT_MS: '800',
      SENTRY_RETRY_BUDGET_MS: '4000',
    });
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(async () => {
    await h.close();
    await sentry.stop();
  });

  async function file(overrides: Record<string, unknown>): Promise<Filed> {
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ reporter: stranger(), page: undefined, ...overrides }))
      .expect(202);
    const id = created.body.id as string;
    const view = await waitForReport(app.url, acme.auth, id, 'filed');
    const issue = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: id });
    const audit = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, stage: 'sentry' });
    return { id, view, body: issue.body, audit };
  }

  function issueWithEvent(
    title: string,
    event: Parameters<FakeSentryApi['addEvent']>[1],
  ): { issue: Issue; eventId: string } {
    const issue = sentry.addIssue({ title });
    return { issue, eventId: sentry.addEvent(issue.id, event).eventID };
  }

  it('follows a reported Sentry event id straight to its issue and puts the issue on the ticket', async () => {
    const { issue, eventId } = issueWithEvent('Error: Payment form crashed', {
      at: ago(2 * MIN),
      release: 'web@4.2.0',
      environment: 'production',
      frames: [
        { filename: 'app/checkout/pay.ts', function: 'submitPayment', lineNo: 88, inApp: true },
        { filename: 'app/checkout/form.ts', function: 'onSubmit', lineNo: 21, inApp: true },
        {
          filename: 'node_modules/react-dom/index.js',
          function: 'invoke',
          lineNo: 3,
          inApp: false,
        },
      ],
    });
    const { view, body, audit } = await file({ sentry: { eventId } });

    expect(view.sentry).toMatchObject({
      status: 'matched',
      issue: { id: issue.id, shortId: issue.shortId, permalink: issue.permalink, score: 1 },
    });
    expect(view.sentry!.issue!.reasons[0]).toBe(
      `reported with its Sentry event ${eventId.slice(0, 8)}…`,
    );
    expect(body).toContain(`- Sentry issue: [${issue.shortId}](${issue.permalink})`);
    expect(body).toContain('release `web@4.2.0`, environment `production`');
    expect(body).toContain(
      `### Stack trace (Sentry ${issue.shortId})\n\n\`\`\`\napp/checkout/pay.ts:88 submitPayment\napp/checkout/form.ts:21 onSubmit\n\`\`\``,
    );
    expect(body).not.toContain('react-dom');
    expect(audit).toMatchObject({
      event: 'sentry_match',
      reason: expect.stringMatching(
        new RegExp(`^Matched Sentry issue ${issue.shortId} \\(score 1\\)`),
      ),
    });
  });

  it('follows a Sentry replay id through the errors it recorded, and links the replay', async () => {
    const { issue, eventId } = issueWithEvent('Error: Upload stalled', { at: ago(MIN) });
    const replayId = randomBytes(16).toString('hex');
    sentry.addReplay({
      id: replayId,
      errorIds: [eventId],
      startedAt: ago(3 * MIN),
      finishedAt: ago(0),
    });

    const { view, body } = await file({ sentry: { replayId } });
    expect(view.sentry?.issue?.shortId).toBe(issue.shortId);
    expect(view.sentry?.issue?.reasons[0]).toMatch(/^recorded in the reporter's Sentry replay/);
    expect(body).toContain(
      `- Sentry replay: ${sentry.baseUrl}/organizations/acme/replays/${replayId}/`,
    );
  });

  it("finds the reporter's own error inside the window, and not the one from three hours earlier", async () => {
    const email = `ana-${randomBytes(3).toString('hex')}@acme.example`;
    const recent = issueWithEvent('Error: Export job failed to start', {
      at: ago(2 * MIN),
      user: { email },
    });
    const old = issueWithEvent('Error: Session expired unexpectedly', {
      at: ago(180 * MIN),
      user: { email },
    });

    const { view } = await file({ reporter: { email } });
    expect(view.sentry?.issue).toMatchObject({ shortId: recent.issue.shortId });
    expect(view.sentry?.issue?.reasons).toEqual([
      `same user ${email.split('@')[0]}@…, 2 min before report`,
    ]);
    expect(view.sentry?.candidates.map((c) => c.shortId)).not.toContain(old.issue.shortId);
  });

  it('matches on the recorded error text alone and shows that issue and its top frames on the ticket', async () => {
    const message = "Cannot read properties of undefined (reading 'invoiceTotal')";
    const { issue } = issueWithEvent(`TypeError: ${message}`, {
      at: ago(4 * MIN),
      user: { email: 'someone-else@acme.example' },
      url: 'https://app.acme.example/reports/annual',
      frames: [
        { filename: 'app/invoices/totals.ts', function: 'renderTotals', lineNo: 42, inApp: true },
        { filename: 'app/invoices/page.ts', function: 'InvoicePage', lineNo: 7, inApp: true },
      ],
      breadcrumbs: [
        {
          timestamp: ago(4 * MIN + 5_000),
          category: 'fetch',
          type: 'http',
          data: {
            method: 'GET',
            url: 'https://api.acme.example/invoices/42?token=abc',
            status_code: 200,
          },
        },
      ],
    });
    const recording = new RrwebBuilder('https://app.acme.example/invoices/42');
    recording.t0 = Date.now() - 20_000;
    recording
      .load(0, (b) => [b.el('button', {}, ['Show totals'], 'totals')])
      .click(2_000, 'totals')
      .consoleError(2_100, `Uncaught TypeError: ${message}`, {
        trace: ['renderTotals (https://app.acme.example/static/totals.js:42:7)'],
      });

    const { id, view, body } = await file({ events: recording.events });
    expect(view.sentry?.issue).toMatchObject({ shortId: issue.shortId });
    expect(view.sentry?.issue?.reasons[0]).toBe(`error text matches: TypeError: ${message}`);
    expect(body).toContain(`[${issue.shortId}](${issue.permalink})`);
    expect(body).toContain(
      'app/invoices/totals.ts:42 renderTotals\napp/invoices/page.ts:7 InvoicePage',
    );
    // Breadcrumbs near the error, without their query strings.
    expect(body).toContain('GET `https://api.acme.example/invoices/42` → 200');
    expect(body).not.toContain('token=abc');
    // The pipeline went straight through; matching added an audit entry, not a status.
    const transitions = await h.db
      .getRepository(PipelineEvent)
      .find({ where: { reportId: id, event: 'transition' }, order: { createdAt: 'ASC' } });
    expect(transitions.map((t) => [t.fromStatus, t.toStatus])).toEqual(FULL_PIPELINE);
  });

  it('matches on the page alone when an error was seen there just before the report', async () => {
    const { issue } = issueWithEvent('Error: Chart failed to render', {
      at: ago(MIN),
      url: 'https://app.acme.example/projects/8812/exports?tab=csv',
    });
    const { view } = await file({ page: { url: 'https://app.acme.example/projects/17/exports' } });
    expect(view.sentry?.issue).toMatchObject({ shortId: issue.shortId });
    expect(view.sentry?.issue?.reasons).toEqual([
      expect.stringMatching(
        /^seen on the same page \/projects\/:id\/exports, 6\d s before report$/,
      ),
    ]);
  });

  it('ranks the candidate with more and closer evidence first and keeps the runner-up', async () => {
    const email = `bo-${randomBytes(3).toString('hex')}@acme.example`;
    const earlier = issueWithEvent('Error: Autosave conflict', {
      at: ago(20 * MIN),
      user: { email },
    });
    const closer = issueWithEvent('Error: Team invite rejected', {
      at: ago(MIN),
      user: { email },
      url: 'https://app.acme.example/teams/55/invites',
    });
    const { view } = await file({
      reporter: { email },
      page: { url: 'https://app.acme.example/teams/91/invites' },
    });
    expect(view.sentry?.issue?.shortId).toBe(closer.issue.shortId);
    expect(view.sentry?.candidates.map((c) => c.shortId)).toEqual([
      closer.issue.shortId,
      earlier.issue.shortId,
    ]);
    const [first, second] = view.sentry!.candidates;
    expect(first.score).toBeGreaterThan(second.score);
    expect(second.reasons).toEqual([`same user ${email.split('@')[0]}@…, 20 min before report`]);
  });

  it('attaches nothing when the best candidate is below the threshold, but keeps it for people to see', async () => {
    const { issue } = issueWithEvent('Error: Calendar sync timed out', {
      at: ago(28 * MIN),
      url: 'https://app.acme.example/calendars/3/sync',
    });
    const { id, view, body, audit } = await file({
      page: { url: 'https://app.acme.example/calendars/4/sync' },
    });
    expect(view.sentry).toMatchObject({ status: 'no_match', issue: null, problem: null });
    expect(view.sentry?.candidates[0]).toMatchObject({ shortId: issue.shortId });
    expect(view.sentry!.candidates[0].score).toBeLessThan(0.5);
    expect(audit.reason).toMatch(
      new RegExp(
        `^No Sentry issue matched \\(best ${issue.shortId} at 0\\.\\d+, threshold 0\\.5\\)$`,
      ),
    );
    expect(body).not.toContain('Sentry issue:');
    const row = await h.db.getRepository(SentryMatch).findOneByOrFail({ reportId: id });
    expect(row.sentryIssueId).toBeNull();
  });

  it('waits out a 429 from Sentry and then matches', async () => {
    const { issue, eventId } = issueWithEvent('Error: Rate limited lookup', { at: ago(MIN) });
    const lookups = () =>
      sentry.requests.filter((r) => r.path.includes(`/eventids/${eventId}`)).length;
    sentry.failNext(1, { status: 429, retryAfterSeconds: 1 }, { path: /\/eventids\// });
    const { view } = await file({ sentry: { eventId } });
    expect(view.sentry?.issue?.shortId).toBe(issue.shortId);
    expect(lookups()).toBe(2);
  });

  it.each([
    ['down', () => sentry.setDown(true), /Sentry unreachable/],
    ['slow', () => sentry.delayNext(3, 2_000), /no answer within 800 ms/],
    [
      'refusing our token',
      () => sentry.failNext(1, { status: 401 }),
      /Sentry refused the token \(401\)/,
    ],
    [
      'rate limiting for a minute',
      () => sentry.failNext(1, { status: 429, retryAfterSeconds: 60 }),
      /Sentry rate limit, retry after 60 s/,
    ],
  ])(
    'files the report without Sentry when Sentry is %s, and says why',
    async (_what, fault, why) => {
      fault();
      try {
        const { view, audit } = await file({});
        expect(view.status).toBe('filed');
        expect(view.sentry).toMatchObject({ status: 'unavailable', issue: null });
        expect(view.sentry?.problem).toMatch(why);
        expect(audit.reason).toMatch(/^Sentry unavailable \(.+\); going on without it/);
        expect(audit.reason).toMatch(why);
        expect(audit.reason).not.toContain(sentry.token);
      } finally {
        sentry.setDown(false);
      }
    },
  );
});

describe('matching against a self-hosted Sentry', () => {
  const selfHosted = new FakeSentryApi({ pathPrefix: '/tools/sentry', org: 'ops' });
  let h: Harness;

  beforeAll(async () => {
    await selfHosted.start();
    h = await createHarness({
      SENTRY_AUTH_TOKEN: selfHosted.token,
      SENTRY_ORG: 'ops',
      SENTRY_BASE_URL: selfHosted.baseUrl,
    });
  });
  afterAll(async () => {
    await h.close();
    await selfHosted.stop();
  });

  it('calls the API under SENTRY_BASE_URL and links issues there', async () => {
    const app = await h.start('all');
    const acme = await createProject(h.db);
    const issue = selfHosted.addIssue({ title: 'Error: On-prem failure' });
    const { eventID } = selfHosted.addEvent(issue.id, { at: ago(MIN) });
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sentry: { eventId: eventID } }))
      .expect(202);
    const view = await waitForReport(app.url, acme.auth, created.body.id as string, 'filed');
    expect(view.sentry?.issue?.permalink).toBe(issue.permalink);
    expect(issue.permalink.startsWith(`${selfHosted.baseUrl}/`)).toBe(true);
    expect(selfHosted.requests.length).toBeGreaterThan(0);
    expect(
      selfHosted.requests.every((r) => r.path.startsWith('/tools/sentry/api/0/organizations/ops/')),
    ).toBe(true);
  });
});
