import request from 'supertest';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload, rrwebEvents } from '../factories/report.factory';
import type { ReportStatus } from '../../src/modules/reports/report-state-machine';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { FULL_PIPELINE, waitForReport } from '../support/reports';

describe('a report travels from HTTP to a ticket (API and worker in one process)', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  const waitForStatus = (id: string, status: ReportStatus) =>
    waitForReport(app.url, acme.auth, id, status);

  it('files a report as a ticket in the built-in tracker, and GET shows its key', async () => {
    const payload = reportPayload({ events: rrwebEvents(6_000) });
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(payload)
      .expect(202);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'received',
      statusUrl: expect.stringMatching(new RegExp(`/v1/reports/${created.body.id}$`)),
      reporterToken: expect.stringMatching(/^rpt_[\w-]{32}$/),
      messagesUrl: `${created.body.statusUrl}/messages`,
    });
    expect(created.headers.location).toBe(created.body.statusUrl);

    const filed = await waitForStatus(created.body.id, 'filed');
    expect(filed.ticket).toEqual({
      key: expect.stringMatching(/^REPRO-\d+$/),
      url: expect.stringContaining(`/app/tickets/${filed.ticket!.key}`),
      relation: 'created',
    });

    const ticket = await request(app.url)
      .get(`/v1/tickets/${filed.ticket!.key}`)
      .set(acme.auth)
      .expect(200);
    expect(ticket.body.title).toBe('Saving billing details fails (1) on /settings/billing');
    expect(ticket.body.provider).toBe('builtin');
    expect(ticket.body.reports).toEqual([
      expect.objectContaining({ id: created.body.id, relation: 'created' }),
    ]);
    const body: string = ticket.body.body;
    expect(body).toContain('> I changed the card and pressed Save');
    expect(body).toContain('https://app.acme.example/settings/billing');
    expect(body).toContain(
      '## Steps to reproduce\n\n1. Opened `https://app.acme.example/settings/billing`',
    );
    expect(body).toContain(
      '- Chrome 131 on Mac OS 10.15.7, viewport 1440×900, locale pt-BR, time zone America/Sao_Paulo',
    );
    expect(body).toContain('Account: Acme Inc.');
    expect(body).toMatch(/Session recording: 3 events over 6 s/);
    expect(body).toContain(`<!-- repro:report=${created.body.id} -->`);

    const list = await request(app.url).get('/v1/tickets').set(acme.auth).expect(200);
    expect(list.body.tickets.map((t: { key: string }) => t.key)).toContain(filed.ticket!.key);
  });

  it('writes every transition of the state machine to the audit log, in order', async () => {
    const created = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .expect(202);
    await waitForStatus(created.body.id, 'filed');
    const events = await h.db
      .getRepository(PipelineEvent)
      .find({ where: { reportId: created.body.id, event: 'transition' }, order: { id: 'ASC' } });
    expect(events.map((e) => [e.fromStatus, e.toStatus])).toEqual(FULL_PIPELINE);
    expect(events.every((e) => e.reason.length > 0 && e.createdAt instanceof Date)).toBe(true);
  });

  it('paginates the ticket list with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      const created = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .send(reportPayload())
        .expect(202);
      await waitForStatus(created.body.id, 'filed');
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: '2', ...(cursor ? { cursor } : {}) };
      const page = await request(app.url)
        .get('/v1/tickets')
        .query(query)
        .set(acme.auth)
        .expect(200);
      expect(page.body.tickets.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.tickets.map((t: { key: string }) => t.key));
      cursor = page.body.nextCursor;
    } while (cursor);
    const total = await h.db.getRepository(BuiltinIssue).countBy({ projectId: acme.project.id });
    expect(new Set(seen).size).toBe(total);
    expect(seen.length).toBe(total);
  });

  it('answers 404 for unknown ticket keys, including ones no tracker could issue', async () => {
    for (const key of ['REPRO-999999', '%00', 'a%01b']) {
      const res = await request(app.url).get(`/v1/tickets/${key}`).set(acme.auth).expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });

  describe('Idempotency-Key', () => {
    it('returns the same report for a repeated key, and stores one', async () => {
      const payload = reportPayload();
      const key = `retry-${Date.now()}`;
      const first = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .set('Idempotency-Key', key)
        .send(payload)
        .expect(202);
      const second = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .set('Idempotency-Key', key)
        .send(payload)
        .expect(202);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(await h.db.getRepository(Report).countBy({ idempotencyKey: key })).toBe(1);
    });

    it('gives one report, and one ticket, for 20 concurrent identical requests', async () => {
      const payload = reportPayload();
      const key = `burst-${Date.now()}`;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          request(app.url)
            .post('/v1/reports')
            .set(acme.auth)
            .set('Idempotency-Key', key)
            .send(payload),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
      const ids = new Set(responses.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      expect(await h.db.getRepository(Report).countBy({ idempotencyKey: key })).toBe(1);
      const [id] = [...ids] as string[];
      await waitForStatus(id, 'filed');
      expect(await h.db.getRepository(BuiltinIssue).countBy({ originReportId: id })).toBe(1);
    });

    it('refuses the same key with a different body, storing nothing new', async () => {
      const key = `reuse-${Date.now()}`;
      await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .set('Idempotency-Key', key)
        .send(reportPayload())
        .expect(202);
      const before = await h.db.getRepository(Report).count();
      const res = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .set('Idempotency-Key', key)
        .send(reportPayload({ description: 'Something else entirely' }))
        .expect(422);
      expect(res.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { field: 'Idempotency-Key' },
      });
      expect(await h.db.getRepository(Report).count()).toBe(before);
    });

    it('scopes keys to a project: another project may use the same key', async () => {
      const other = await createProject(h.db, 'Globex');
      const key = `shared-${Date.now()}`;
      const a = await request(app.url)
        .post('/v1/reports')
        .set(acme.auth)
        .set('Idempotency-Key', key)
        .send(reportPayload())
        .expect(202);
      const b = await request(app.url)
        .post('/v1/reports')
        .set(other.auth)
        .set('Idempotency-Key', key)
        .send(reportPayload())
        .expect(202);
      expect(a.body.id).not.toBe(b.body.id);
    });
  });

  // Last: its forty reports keep the worker busy for a while.
  it('stores 40 reports sent at once by one new account: each answered, each stored whole', async () => {
    const account = { id: `acct_burst_${Date.now()}`, name: 'Burst Inc.' };
    const payloads = Array.from({ length: 40 }, (_, i) =>
      reportPayload({
        account,
        // Four people, each reporting ten times; every fourth report carries a recording.
        reporter: { email: `person${i % 4}@burst.example`, name: `Person ${i % 4}` },
        ...(i % 4 === 0 ? { events: rrwebEvents(2_000) } : {}),
      }),
    );
    const responses = await Promise.all(
      payloads.map((payload) => request(app.url).post('/v1/reports').set(acme.auth).send(payload)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(202));
    const ids = responses.map((r) => r.body.id as string);
    const rows = await h.db.query<
      { account: string; reporter: string; arrivals: number; recordings: number }[]
    >(
      `SELECT a.external_id AS account, p.email AS reporter,
              (SELECT count(*)::int FROM pipeline_events e
                WHERE e.report_id = r.id AND e.stage = 'intake') AS arrivals,
              (SELECT count(*)::int FROM recordings c WHERE c.report_id = r.id) AS recordings
         FROM reports r JOIN accounts a ON a.id = r.account_id
         JOIN reporters p ON p.id = r.reporter_id
        WHERE r.id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.account))).toEqual(new Set([account.id]));
    expect(new Set(rows.map((r) => r.reporter)).size).toBe(4);
    expect(rows.every((r) => r.arrivals === 1)).toBe(true);
    expect(rows.filter((r) => r.recordings === 1)).toHaveLength(10);
    const [{ n }] = await h.db.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM accounts WHERE external_id = $1',
      [account.id],
    );
    expect(n).toBe(1);
  });
});
