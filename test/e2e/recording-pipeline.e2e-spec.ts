import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Recording } from '../../src/modules/recordings/entities/recording.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

/** A customer changes the card, presses Save, and the save fails with a 500. */
function failingSave() {
  return new RrwebBuilder()
    .load(0, (b) => [
      b.el('nav', {}, [b.el('a', { href: '/settings/billing' }, ['Billing'], 'billing')]),
      b.el('form', {}, [
        b.el('label', { for: 'card' }, ['Card number']),
        b.el('input', { id: 'card', type: 'text' }, [], 'card'),
        b.el('button', { type: 'submit' }, ['Save changes'], 'save'),
      ]),
    ])
    .type(2_000, 'card', '4111111111111111', true)
    .click(5_000, 'save')
    .request(5_300, 'POST', '/api/billing?session=s3cr3t', 500, 280)
    .consoleError(5_320, "TypeError: Cannot read properties of undefined (reading 'id')", {
      trace: ['onSaved (https://app.acme.example/static/billing.js:88:21)'],
    });
}

describe('the analyzing stage', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  /**
   * Files into `project` (default: acme). The same recording sent again into one project is a
   * duplicate of the first ticket, so tests that reuse it file into a project of their own.
   */
  async function fileAndWait(payload: Record<string, unknown>, project: TestProject = acme) {
    const created = await request(app.url)
      .post('/v1/reports')
      .set(project.auth)
      .send(payload)
      .expect(202);
    const view = await waitForReport(app.url, project.auth, created.body.id as string, 'filed');
    const ticket = await request(app.url)
      .get(`/v1/tickets/${view.ticket!.key}`)
      .set(project.auth)
      .expect(200);
    return { id: created.body.id as string, view, body: ticket.body.body as string };
  }

  it('turns an inline recording into steps, errors and failed requests on the ticket', async () => {
    const { id, view, body } = await fileAndWait(
      reportPayload({ description: 'Billing is broken', events: failingSave().events }),
    );
    expect(view.ticket).not.toBeNull();
    const ticket = await request(app.url).get(`/v1/tickets/${view.ticket!.key}`).set(acme.auth);
    expect(ticket.body.title).toBe(
      '"Save changes" fails with 500 (POST /api/billing) on /settings/billing',
    );
    expect(view.recording).toMatchObject({
      status: 'stored',
      analyzed: true,
      events: failingSave().events.length,
      durationMs: 5_320,
    });
    expect(body).toContain('2. Typed into "Card number"');
    expect(body).toContain('3. Clicked button "Save changes"');
    expect(body).toContain('`POST /api/billing` → 500 in 280 ms');
    expect(body).toContain("**TypeError: Cannot read properties of undefined (reading 'id')**");
    expect(body).toContain('onSaved (https://app.acme.example/static/billing.js:88:21)');
    expect(body).toContain(
      '- Failure: At 00:05.3 on `https://app.acme.example/settings/billing`: POST /api/billing → 500',
    );
    expect(body).not.toContain('s3cr3t');
    expect(body).not.toContain('4111');
    // The replay link in the ticket opens the replay at the failure, without any credential.
    const link = /- Replay at the moment of failure \(00:05\.3\): (\S+)/.exec(body)?.[1];
    expect(link).toMatch(new RegExp(`/replay/${id}\\?t=5300&exp=\\d+&sig=[\\w-]{43}$`));
    const replay = await fetch(link!.replace(/^https?:\/\/[^/]+/, app.url));
    expect(replay.status).toBe(200);
    expect(await replay.text()).toContain('Clicked button');
    const sig = /sig=([\w-]+)/.exec(link!)![1];
    const forged = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const tampered = await fetch(link!.replace(sig, forged).replace(/^https?:\/\/[^/]+/, app.url));
    expect(tampered.status).toBe(401);

    const stored = await h.db.getRepository(Recording).findOneByOrFail({ reportId: id });
    expect(stored.analysis?.failure).toMatchObject({ t: 5_300, reason: 'failed_request' });
    const audit = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, toStatus: 'clarifying' });
    expect(audit.reason).toBe(
      'Recording analysed: 3 steps, 1 errors, 1 failed requests, 0 signals',
    );
    expect(audit.details).toMatchObject({ failure: { t: 5_300, reason: 'failed_request' } });
  });

  it('takes recordings whose text PostgreSQL could not store as text (NUL, lone surrogates)', async () => {
    const events = failingSave().consoleError(
      6_000,
      'bad \u0000 byte and \ud800 half a pair',
    ).events;
    const { id, body } = await fileAndWait(reportPayload({ events }), await createProject(h.db));
    const stored = await h.db.getRepository(Recording).findOneByOrFail({ reportId: id });
    expect(stored.analysis?.errors.at(-1)?.message).toBe('bad \ufffd byte and \ufffd half a pair');
    expect(body).toContain('3. Clicked button "Save changes"');
  });

  it('analyses a chunked session named by the report, in sequence order', async () => {
    const events = failingSave().events;
    const sessionId = `sess_pipeline_${Date.now()}`;
    const half = Math.ceil(events.length / 2);
    const other = await createProject(h.db);
    for (const [seq, part] of [
      [1, events.slice(half)],
      [0, events.slice(0, half)],
    ] as const) {
      await request(app.url)
        .post(`/v1/recordings/${sessionId}/chunks`)
        .query({ seq })
        .set(other.auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(part))
        .expect(201);
    }
    const { body } = await fileAndWait(reportPayload({ sessionId }), other);
    expect(body).toContain('3. Clicked button "Save changes"');
    expect(body).toContain('`POST /api/billing` → 500 in 280 ms');
  });

  it('files the report without the recording when it was refused, and says why', async () => {
    const sessionId = `sess_refused_${Date.now()}`;
    const huge = 'x'.repeat(1024);
    const small = await h.start('api', { RECORDING_MAX_INFLATED_BYTES: 2048 });
    await request(small.url)
      .post(`/v1/recordings/${sessionId}/chunks?seq=0`)
      .set(acme.auth)
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify(
          [1, 2, 3].map((i) => ({ type: 5, data: { tag: 'x', payload: huge }, timestamp: i })),
        ),
      )
      .expect(413);
    const { body, id } = await fileAndWait(reportPayload({ sessionId }));
    expect(body).toContain(
      '- Session recording refused: over the inflated size limit of 2048 bytes',
    );
    const audit = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: id, toStatus: 'clarifying' });
    expect(audit.reason).toMatch(/^Recording refused at upload/);
  });
});
