import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { BURST_BUGS, burstReport } from '../bench/burst-reports';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';

const FINAL = ['filed', 'duplicate', 'needs_human', 'failed', 'resolved', 'closed'];

describe('a burst of one bug', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  it('80 near-identical reports sent at once, each with its own reference id, make one ticket and 79 duplicates of it', async () => {
    const [csv, charts] = BURST_BUGS;
    const payloads = [
      ...Array.from({ length: 80 }, (_, i) => burstReport(csv, i)),
      ...Array.from({ length: 10 }, (_, i) => burstReport(charts, i)),
    ];
    const ids = await Promise.all(
      payloads.map(async (payload) => {
        const res = await request(app.url)
          .post('/v1/reports')
          .set(acme.auth)
          .send(payload)
          .expect(202);
        return res.body.id as string;
      }),
    );
    await waitFor(
      async () => {
        const [{ open }] = await h.db.query<{ open: number }[]>(
          `SELECT count(*)::int AS open FROM reports WHERE project_id = $1 AND status <> ALL($2::report_status[])`,
          [acme.project.id, FINAL],
        );
        return open === 0;
      },
      { timeoutMs: 170_000, intervalMs: 500, what: 'every report to reach a final state' },
    );
    const views = await Promise.all(
      ids.map(async (id) => {
        const res = await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200);
        return res.body as ReportView;
      }),
    );
    for (const [bug, group] of [
      [csv, views.slice(0, 80)],
      [charts, views.slice(80)],
    ] as const) {
      const filed = group.filter((v) => v.status === 'filed');
      expect({ bug: bug.name, filed: filed.length }).toEqual({ bug: bug.name, filed: 1 });
      const key = filed[0].ticket!.key;
      const others = group.filter((v) => v.id !== filed[0].id);
      expect(others.map((v) => [v.status, v.ticket?.key, v.ticket?.relation])).toEqual(
        others.map(() => ['duplicate', key, 'duplicate']),
      );
    }
    expect(await h.db.getRepository(BuiltinIssue).count()).toBe(2);
  }, 180_000);
});
