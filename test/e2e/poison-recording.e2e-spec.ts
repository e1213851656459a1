import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { RecordingChunk } from '../../src/modules/recordings/entities/recording-chunk.entity';
import { Recording } from '../../src/modules/recordings/entities/recording.entity';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

/** A page whose address holds `href` (a NUL, a lone surrogate…), with a button clicked. */
function pageAt(href: string) {
  return new RrwebBuilder(href)
    .load(0, (b) => [b.el('button', { type: 'button' }, ['Save \u0000 changes'], 'save')])
    .click(1_000, 'save');
}

/** The events of a plain page, with one event's timestamp set to `timestamp` at `index`. */
function withTimestamp(index: number, timestamp: unknown) {
  const events = pageAt('https://app.acme.example/settings/billing').events;
  events[index] = { ...events[index], timestamp };
  return events;
}

const NUL_URL = 'https://x/\u0000';
const SURROGATE_URL = 'https://x/\ud800';

/** What a user sees when a report went through with a recording that was refused or kept. */
async function filed(app: RunningApp, project: TestProject, payload: Record<string, unknown>) {
  const created = await request(app.url)
    .post('/v1/reports')
    .set(project.auth)
    .send(payload)
    .expect(202);
  const id = created.body.id as string;
  return { id, view: await waitForReport(app.url, project.auth, id, 'filed') };
}

function chunk(
  app: RunningApp,
  project: TestProject,
  sessionId: string,
  seq: number,
  events: unknown,
) {
  return request(app.url)
    .post(`/v1/recordings/${sessionId}/chunks`)
    .query({ seq })
    .set(project.auth)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(events));
}

describe('poison recordings', () => {
  let h: Harness;
  let app: RunningApp;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
  });
  afterAll(() => h.close());

  const countReports = (project: TestProject) =>
    h.db.getRepository(Report).countBy({ projectId: project.project.id });

  it.each([
    ['1e308', 1e308],
    ['8.64e15 (the last moment a JavaScript Date holds)', 8.64e15],
    ['-8.64e15', -8.64e15],
    ['negative', -1],
    ['not whole', 1_700_000_000_000.5],
    ['not a number', '1700000000000'],
  ])(
    'refuses inline events with a %s timestamp: 400 naming events[i].timestamp, nothing stored',
    async (_name, timestamp) => {
      const project = await createProject(h.db);
      const res = await request(app.url)
        .post('/v1/reports')
        .set(project.auth)
        .send(reportPayload({ events: withTimestamp(2, timestamp) }))
        .expect(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.fields).toEqual([
        { field: 'events[2].timestamp', message: expect.stringMatching(/milliseconds since 1970/) },
      ]);
      expect(await countReports(project)).toBe(0);
    },
  );

  it('refuses a chunk with a timestamp no clock wrote: 400 naming the element, chunk not stored', async () => {
    const project = await createProject(h.db);
    const sessionId = `sess_poison_time_${Date.now()}`;
    const res = await chunk(app, project, sessionId, 0, withTimestamp(3, -8.64e15)).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields[0].field).toBe('body[3].timestamp');
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId })).toBe(0);
    // The session takes the chunk once its times are real.
    await chunk(app, project, sessionId, 0, withTimestamp(3, 1_700_000_000_500)).expect(201);
  });

  it.each([
    ['a NUL in the recorded URL', NUL_URL],
    ['a lone surrogate in the recorded URL', SURROGATE_URL],
  ])(
    'files a report whose inline recording has %s, and the next report from the page is not held up',
    async (_name, href) => {
      const project = await createProject(h.db);
      const poisoned = await request(app.url)
        .post('/v1/reports')
        .set(project.auth)
        .send(reportPayload({ events: pageAt(href).events }))
        .expect(202);
      const next = await filed(app, project, reportPayload());
      expect(next.view.ticket).not.toBeNull();
      const view = await waitForReport(app.url, project.auth, poisoned.body.id as string, 'filed');
      // Analysed, with the text PostgreSQL cannot store replaced by U+FFFD.
      expect(view.recording).toMatchObject({ status: 'stored', analyzed: true });
      const stored = await h.db
        .getRepository(Recording)
        .findOneByOrFail({ reportId: poisoned.body.id as string });
      expect(stored.analysis?.startUrl).toBe(
        href.replace(NUL_URL, 'https://x/\ufffd').replace(SURROGATE_URL, 'https://x/\ufffd'),
      );
    },
  );

  it('files a report whose chunked recording has a NUL in the URL, then refuses later chunks with 409', async () => {
    const project = await createProject(h.db);
    const sessionId = `sess_poison_nul_${Date.now()}`;
    const events = pageAt(NUL_URL).events;
    await chunk(app, project, sessionId, 0, events).expect(201);
    const { view } = await filed(app, project, reportPayload({ sessionId }));
    expect(view.recording).toMatchObject({ status: 'stored', analyzed: true });

    // The report was analysed on what it had: a new chunk is refused and not stored.
    const late = await chunk(app, project, sessionId, 1, events).expect(409);
    expect(late.body.error).toMatchObject({
      code: 'RECORDING_CLOSED',
      details: { field: 'sessionId' },
    });
    expect(await h.db.getRepository(RecordingChunk).countBy({ sessionId })).toBe(1);
    // A retry of the chunk already stored is still answered as one.
    const retry = await chunk(app, project, sessionId, 0, events).expect(200);
    expect(retry.body.duplicate).toBe(true);
  });

  it("refuses chunks sent to an inline recording's session (the report id) with 409", async () => {
    const project = await createProject(h.db);
    const created = await request(app.url)
      .post('/v1/reports')
      .set(project.auth)
      .send(reportPayload({ events: pageAt('https://app.acme.example/').events }))
      .expect(202);
    const res = await chunk(
      app,
      project,
      created.body.id as string,
      1,
      pageAt('https://a/').events,
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('RECORDING_CLOSED');
    expect(
      await h.db.getRepository(RecordingChunk).countBy({ sessionId: created.body.id as string }),
    ).toBe(1);
  });

  it('analyses events out of order and a recording spanning decades, and files the report', async () => {
    const project = await createProject(h.db);
    const events = pageAt('https://app.acme.example/settings/billing').events;
    events.push({ ...events[0], timestamp: 0 }, { ...events[0], timestamp: 4_102_444_800_000 });
    const { id, view } = await filed(app, project, reportPayload({ events }));
    expect(view.recording).toMatchObject({ status: 'stored', analyzed: true });
    const stored = await h.db.getRepository(Recording).findOneByOrFail({ reportId: id });
    expect(stored.analysis?.uninterpreted).toContainEqual(
      expect.objectContaining({ what: expect.stringMatching(/out of order/) }),
    );
  });
});

describe('a recording that cannot be analysed', () => {
  let h: Harness;
  let app: RunningApp;

  beforeAll(async () => {
    h = await createHarness();
    // Every analysis runs out of time: the way any analyzer failure looks to the pipeline.
    app = await h.start('all', { RECORDING_ANALYSIS_TIMEOUT_MS: 1 });
  });
  afterAll(() => h.close());

  it('is marked unusable with the reason, once, and the report is filed without it', async () => {
    const project = await createProject(h.db);
    const { id, view } = await filed(
      app,
      project,
      reportPayload({ events: pageAt('https://app.acme.example/').events }),
    );
    expect(view.recording).toMatchObject<Partial<NonNullable<ReportView['recording']>>>({
      status: 'unusable',
      reason: 'its analysis took over 1 ms',
      analyzed: false,
    });
    const analysed = await h.db
      .getRepository(PipelineEvent)
      .findBy({ reportId: id, toStatus: 'clarifying' });
    expect(analysed.map((e) => e.reason)).toEqual([
      'Recording could not be analysed (its analysis took over 1 ms); going on without it',
    ]);
    const ticket = await request(app.url)
      .get(`/v1/tickets/${view.ticket!.key}`)
      .set(project.auth)
      .expect(200);
    expect(ticket.body.body).not.toContain('Replay at the moment of failure');
  });
});
