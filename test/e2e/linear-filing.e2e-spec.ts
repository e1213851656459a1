import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Project } from '../../src/modules/projects/entities/project.entity';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { FakeLinear } from '../fakes/linear.server';
import { FakeSentryApi } from '../fakes/sentry-api.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

/** The default project files into Linear when LINEAR_* is set; this drives the real SDK end to end. */
describe('filing into Linear (the default project, configured from the environment)', () => {
  const linear = new FakeLinear();
  const sentry = new FakeSentryApi();
  let h: Harness;
  let app: RunningApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    await linear.start();
    await sentry.start();
    const eng = linear.addTeam('ENG', 'Engineering');
    linear.addLabel('bug', eng);
    h = await createHarness({
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_TEAM: 'ENG',
      LINEAR_API_URL: linear.url,
      SENTRY_AUTH_TOKEN: sentry.token,
      SENTRY_ORG: sentry.org,
      SENTRY_BASE_URL: sentry.baseUrl,
    });
    app = await h.start('all');
    auth = { Authorization: `Bearer ${app.firstKey!.key}` };
  });
  afterAll(async () => {
    await h.close();
    expect(linear.validationFailures).toEqual([]);
    await linear.stop();
    await sentry.stop();
  });

  const failingSave = () =>
    new RrwebBuilder()
      .load(0, (b) => [b.el('button', {}, ['Save changes'], 'save')])
      .click(1_000, 'save')
      .request(1_200, 'POST', '/api/billing', 500, 120).events;

  it('files the issue with title, body and marker, links the replay and the customer', async () => {
    const payload = reportPayload({
      description: 'Cannot save my card',
      account: { id: 'acct_acme', name: 'Acme Inc.' },
      events: failingSave(),
    });
    const created = await request(app.url).post('/v1/reports').set(auth).send(payload).expect(202);
    const view = await waitForReport(app.url, auth, created.body.id, 'filed');
    expect(view.ticket!.key).toMatch(/^ENG-\d+$/);

    const issue = linear.issues.find((i) => i.identifier === view.ticket!.key)!;
    expect(issue.title).toBe(
      '"Save changes" fails with 500 (POST /api/billing) on /settings/billing',
    );
    expect(issue.description).toContain(`<!-- repro:report=${created.body.id} -->`);
    expect(issue.description).toContain('1. Opened `https://app.acme.example/settings/billing`');
    const links = linear.attachments.filter(
      (a) => a.issue === issue || (a as { issueId?: string }).issueId === issue.id,
    );
    expect(links.map((a) => a.url)).toEqual(
      expect.arrayContaining([
        `${h.config.PUBLIC_URL}/v1/reports/${created.body.id}`,
        expect.stringMatching(new RegExp(`/replay/${created.body.id}\\?t=1200&exp=\\d+&sig=`)),
      ]),
    );
    const customer = linear.customers.find((c) => c.externalIds.includes('acct_acme'));
    expect(customer).toMatchObject({
      name: 'Acme Inc.',
      domains: [expect.stringContaining('acme.example')],
    });
    expect(linear.needs).toEqual([
      expect.objectContaining({
        customerId: customer!.id,
        issueId: issue.id,
        body: '> Cannot save my card',
      }),
    ]);
    expect(
      await h.db.getRepository(Ticket).findOneByOrFail({ key: view.ticket!.key }),
    ).toMatchObject({ provider: 'linear' });
  });

  it('attaches the Sentry issue behind the report to the Linear issue', async () => {
    const sentryIssue = sentry.addIssue({ title: 'TypeError: card is null' });
    const { eventID } = sentry.addEvent(sentryIssue.id, { at: new Date(Date.now() - 60_000) });
    const created = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload({ sentry: { eventId: eventID } }))
      .expect(202);
    const view = await waitForReport(app.url, auth, created.body.id, 'filed');
    const issue = linear.issues.find((i) => i.identifier === view.ticket!.key)!;
    const links = linear.attachments.filter(
      (a) => a.issue === issue || (a as { issueId?: string }).issueId === issue.id,
    );
    expect(links).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          url: sentryIssue.permalink,
          title: `Sentry ${sentryIssue.shortId}: TypeError: card is null`,
        }),
      ]),
    );
    expect(issue.description).toContain(`[${sentryIssue.shortId}](${sentryIssue.permalink})`);
  });

  it('turns a second report of the same bug into a comment and a customer need on the Linear issue, not a new issue', async () => {
    const crash = () => {
      const b = new RrwebBuilder('https://app.acme.example/reports/annual');
      b.t0 = Date.now() - 10_000;
      return b
        .load(0, (x) => [x.el('button', {}, ['Download annual report'], 'dl')])
        .click(1_000, 'dl')
        .request(1_100, 'GET', '/api/reports/annual.pdf', 502)
        .consoleError(1_200, 'Error: annual report renderer crashed').events;
    };
    const first = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload({ description: 'Annual report will not download', events: crash() }))
      .expect(202);
    const filed = await waitForReport(app.url, auth, first.body.id, 'filed');
    const issues = linear.issues.length;

    const second = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(
        reportPayload({
          description: 'PDF export of the yearly report fails',
          account: { id: 'acct_globex', name: 'Globex' },
          events: crash(),
        }),
      )
      .expect(202);
    const merged = await waitForReport(app.url, auth, second.body.id, 'duplicate');
    expect(merged.ticket).toMatchObject({ key: filed.ticket!.key, relation: 'duplicate' });
    expect(linear.issues.length).toBe(issues);
    const issue = linear.issues.find((i) => i.identifier === filed.ticket!.key)!;
    const comments = linear.comments.filter((c) => c.issueId === issue.id);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain('> PDF export of the yearly report fails');
    const globex = linear.customers.find((c) => c.externalIds.includes('acct_globex'));
    expect(globex).toBeDefined();
    expect(linear.needs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ customerId: globex!.id, issueId: issue.id }),
      ]),
    );
  });

  it("uses the project's labels and state", async () => {
    await app.app
      .get(ProjectsService, { strict: false })
      .updateTrackerConfig('default', { labels: ['bug', 'customer-reported'], state: 'Triage' });
    const created = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload())
      .expect(202);
    const view = await waitForReport(app.url, auth, created.body.id, 'filed');
    const issue = linear.issues.find((i) => i.identifier === view.ticket!.key)!;
    const names = issue.labelIds.map((id) => linear.labels.find((l) => l.id === id)!.name);
    expect(names.sort()).toEqual(['bug', 'customer-reported']);
    expect(issue.state.name).toBe('Triage');
    await app.app
      .get(ProjectsService, { strict: false })
      .updateTrackerConfig('default', { labels: ['bug'], state: undefined });
  });

  it('waits out a 429 for its Retry-After, audited as waiting rather than failing, then files once', async () => {
    linear.fail({ kind: 'ratelimit', retryAfterSeconds: 1 }, 1, 'createIssue');
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
      expect.objectContaining({
        stage: 'file',
        reason: expect.stringMatching(/^linear rate limit: .*trying again in 1 s$/),
      }),
    ]);
    expect(linear.issues.filter((i) => i.description?.includes(created.body.id))).toHaveLength(1);
  });

  it('retries a 500 with backoff, then files once', async () => {
    linear.fail({ kind: 'server-error' }, 2, 'createIssue');
    const created = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload())
      .expect(202);
    await waitForReport(app.url, auth, created.body.id, 'filed');
    expect(linear.issues.filter((i) => i.description?.includes(created.body.id))).toHaveLength(1);
  });

  it('flags the destination on 401, shows it, holds the report, and recovers', async () => {
    linear.fail({ kind: 'unauthorized' }, 1, 'createIssue');
    const created = await request(app.url)
      .post('/v1/reports')
      .set(auth)
      .send(reportPayload())
      .expect(202);
    const flagged = await waitFor(
      async () => {
        const res = await request(app.url).get('/v1/projects/current').set(auth).expect(200);
        return res.body.tracker.status === 'misconfigured' ? res.body : undefined;
      },
      { what: 'the destination to be flagged' },
    );
    expect(flagged.tracker).toMatchObject({
      provider: 'linear',
      error: expect.stringContaining('linear refused our credentials'),
    });
    const ready = await request(app.url).get('/readyz').expect(200);
    expect(ready.body.destinations).toEqual([
      expect.stringMatching(/^default: linear refused our credentials/),
    ]);
    expect(
      (await request(app.url).get(`/v1/reports/${created.body.id}`).set(auth)).body.status,
    ).toBe('filing');

    // The job waits (5 minutes between tries); the credentials work again, so bring the next try forward.
    const project = await h.db.getRepository(Project).findOneByOrFail({ slug: 'default' });
    const { Queue } = await import('bullmq');
    const queue = new Queue('pipeline', {
      connection: h.redis.options,
      prefix: h.config.QUEUE_PREFIX,
    });
    const job = await queue.getJob(`FileTicket-${created.body.id}`);
    await job!.promote();
    await queue.close();
    await waitForReport(app.url, auth, created.body.id, 'filed');
    expect(
      (await h.db.getRepository(Project).findOneByOrFail({ id: project.id })).trackerError,
    ).toBeNull();
  });
});
