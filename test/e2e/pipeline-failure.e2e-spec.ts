import * as Sentry from '@sentry/node';
import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Project } from '../../src/modules/projects/entities/project.entity';
import { Ticket } from '../../src/modules/trackers/entities/ticket.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { FakeSentryApi } from '../fakes/sentry-api.server';
import { FakeSentryIngest } from '../fakes/sentry-ingest.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';

describe('a stage that cannot succeed', () => {
  const sentry = new FakeSentryIngest();
  // Matching runs too, so Repro's own calls to Sentry's API (which carry the reporter's email in
  // their query) happen before the failure, where breadcrumbs could pick them up.
  const sentryApi = new FakeSentryApi();
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    await sentry.start();
    await sentryApi.start();
    h = await createHarness({
      SENTRY_DSN: sentry.dsn,
      JOB_ATTEMPTS: '3',
      SENTRY_AUTH_TOKEN: sentryApi.token,
      SENTRY_ORG: sentryApi.org,
      SENTRY_BASE_URL: sentryApi.baseUrl,
    });
    app = await h.start('all');
    acme = await createProject(h.db);
    // A destination this version cannot file into: filing fails permanently.
    await h.db
      .getRepository(Project)
      .update({ id: acme.project.id }, { trackerProvider: 'linear' });
  });
  afterAll(async () => {
    await h.close();
    await Sentry.close(2000);
    await sentry.stop();
    await sentryApi.stop();
  });

  it('ends the report as failed, says why in the audit log, and files nothing', async () => {
    const secretWords = 'my card 4111 1111 1111 1111 was charged twice';
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(
        reportPayload({
          description: secretWords,
          reporter: { email: 'ana.private@customer.example', name: 'Ana Private' },
        }),
      )
      .expect(202);
    const id: string = created.body.id;

    await waitFor(
      async () =>
        (await request(app.url).get(`/v1/reports/${id}`).set(acme.auth)).body.status === 'failed',
      { what: 'the report to fail' },
    );
    const last = await h.db
      .getRepository(PipelineEvent)
      .findOneOrFail({ where: { reportId: id, toStatus: 'failed' } });
    expect(last.fromStatus).toBe('filing');
    expect(last.reason).toMatch(
      /file failed after 1 attempt\(s\): Project acme-[0-9a-f]+ is set to file into linear, which has no credentials or adapter in this version/,
    );
    expect(await h.db.getRepository(Ticket).countBy({ projectId: acme.project.id })).toBe(0);

    // Repro's own error reaches Sentry tagged with the report and stage, without customer text.
    await Sentry.flush(2000);
    const event = await waitFor(
      () =>
        sentry
          .events()
          .find((e) => (e.tags as Record<string, string> | undefined)?.report_id === id),
      { what: 'the Sentry event' },
    );
    expect(event.tags).toMatchObject({ report_id: id, stage: 'file' });
    expect(sentryApi.requests.some((r) => r.query.get('query')?.includes('ana.private'))).toBe(
      true,
    );
    const sent = JSON.stringify(sentry.envelopes.map((e) => e.raw));
    expect(sent).not.toContain('4111');
    expect(sent).not.toMatch(/ana\.private|ana%2Eprivate|ana\.private%40|Ana Private/i);
    expect(sent).not.toContain(sentryApi.token);
  });
});
