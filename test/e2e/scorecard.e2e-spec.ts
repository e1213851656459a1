import request from 'supertest';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

/** The agent's real defaults, so that it asks about vague reports. */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};
const APP = 'https://app.acme.example';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A report that states everything: the agent asks nothing. */
function complete(title: string, account: Record<string, unknown>): Record<string, unknown> {
  return reportPayload({
    description: `${title}\n\nSteps: open Orders, choose an order, press the button.\nExpected: the page saves my change and shows it.\nActual: "Something went wrong" every time since this morning.`,
    page: { url: `${APP}/orders/5521` },
    client: { userAgent: CHROME },
    account,
  });
}

/** A report that says almost nothing: the agent asks. */
function vague(words: string, account: Record<string, unknown>): Record<string, unknown> {
  return reportPayload({
    description: words,
    page: { url: `${APP}/settings/profile` },
    client: { userAgent: CHROME },
    account,
  });
}

interface Week {
  weekStart: string;
  reports: number;
  autonomousRate: number | null;
  handedToPersonRate: number | null;
  medianMinutesToTicket: number | null;
  questionsPerReport: number | null;
  answeredRate: number | null;
  duplicatesMerged: number;
  accountsAffected: number;
}

describe('GET /v1/scorecard: the measures per week, and on /metrics', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  /** Questions the agent asked this week's reports, as their conversations show them. */
  let questionsAsked = 0;

  const send = async (body: Record<string, unknown>) => {
    const res = await request(app.url).post('/v1/reports').set(acme.auth).send(body).expect(202);
    return res.body as { id: string; reporterToken: string };
  };
  const decide = (id: string, body: Record<string, unknown>) =>
    request(app.url).post(`/v1/reports/${id}/decision`).set(acme.auth).send(body).expect(200);
  /** The report got its ticket `minutes` after it arrived (the audit log's time, pinned). */
  const ticketAfter = (id: string, minutes: number) =>
    h.db.query(
      `UPDATE pipeline_events e SET created_at = r.created_at + make_interval(mins => $2)
         FROM reports r
        WHERE r.id = e.report_id AND e.report_id = $1 AND e.event = 'transition'
          AND e.to_status IN ('filed', 'duplicate')`,
      [id, minutes],
    );
  const scorecard = (query: Record<string, string | number> = {}) =>
    request(app.url).get('/v1/scorecard').query(query).set(acme.auth);

  beforeAll(async () => {
    h = await createHarness(AGENT_DEFAULTS);
    app = await h.start('all');
    acme = await createProject(h.db);
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { approvalTiers: ['Enterprise'] },
      acme.project.id,
    ]);
    const small = { id: 'acct-small', name: 'Small Co', tier: 'Starter' };
    const big = { id: 'acct-big', name: 'Big Co', tier: 'Enterprise' };

    // Last week: one report, filed by the agent alone 5 minutes after it came.
    const old = await send(complete('Search shows nothing', small));
    await waitForReport(app.url, acme.auth, old.id, 'filed');
    await ticketAfter(old.id, 5);
    await h.db.query(
      `UPDATE reports SET created_at = created_at - interval '7 days' WHERE id = $1`,
      [old.id],
    );
    await h.db.query(
      `UPDATE pipeline_events SET created_at = created_at - interval '7 days' WHERE report_id = $1`,
      [old.id],
    );

    // This week: filed by the agent alone.
    const alone = await send(complete('The invoices export hangs', small));
    const aloneView = await waitForReport(app.url, acme.auth, alone.id, 'filed');
    await ticketAfter(alone.id, 10);
    // Handed to a person, who approves it.
    const approved = await send(complete('Refunds never arrive', big));
    await waitForReport(app.url, acme.auth, approved.id, 'needs_human');
    await decide(approved.id, { action: 'approve' });
    await waitForReport(app.url, acme.auth, approved.id, 'filed');
    await ticketAfter(approved.id, 30);
    // Handed to a person, who merges it into the first ticket.
    const merged = await send(complete('Customers cannot pay their orders', big));
    await waitForReport(app.url, acme.auth, merged.id, 'needs_human');
    await decide(merged.id, { action: 'merge', target: aloneView.ticket!.key });
    await waitForReport(app.url, acme.auth, merged.id, 'duplicate');
    await ticketAfter(merged.id, 50);
    // Asked, never answered.
    const unanswered = await send(vague('checkout is broken', small));
    // Asked, answered, then filed by the agent alone.
    const answered = await send(vague('profile is broken', { id: 'acct-third', name: 'Third Co' }));
    for (const id of [unanswered.id, answered.id]) {
      await waitFor(
        async () => {
          const res = await request(app.url).get(`/v1/reports/${id}`).set(acme.auth).expect(200);
          return (res.body.questions as string[]).length > 0;
        },
        { what: `the agent to ask about ${id}` },
      );
    }
    await request(app.url)
      .post(`/v1/reports/${answered.id}/messages`)
      .set({ Authorization: `Bearer ${answered.reporterToken}` })
      .send({
        body: 'I choose a new avatar and press Save profile, and nothing happens. I expected my new avatar to be saved and shown on my profile. It happens every time.',
      })
      .expect(201);
    await waitForReport(app.url, acme.auth, answered.id, 'filed');
    await ticketAfter(answered.id, 20);

    for (const id of [unanswered.id, answered.id]) {
      const conversation = await request(app.url)
        .get(`/v1/reports/${id}/messages`)
        .set(acme.auth)
        .expect(200);
      for (const m of conversation.body.messages as { questions: string[] }[]) {
        questionsAsked += m.questions.length;
      }
    }
  });
  afterAll(() => h.close());

  it('gives this week and last week exactly, counting each report in the week it arrived', async () => {
    const res = await scorecard({ weeks: 2 }).expect(200);
    const [last, current] = res.body.weeks as Week[];
    expect(questionsAsked).toBeGreaterThanOrEqual(2);
    expect(current).toEqual({
      weekStart: expect.any(String),
      reports: 5,
      // Filed alone: the invoices export and the answered profile report.
      autonomousRate: 0.4,
      // The refund (approved) and the payment report (merged).
      handedToPersonRate: 0.4,
      // Tickets after 10, 20, 30 and 50 minutes.
      medianMinutesToTicket: 25,
      questionsPerReport: Math.round((questionsAsked / 5) * 10_000) / 10_000,
      // Two reports asked, one answered.
      answeredRate: 0.5,
      duplicatesMerged: 1,
      accountsAffected: 3,
    });
    expect(last).toEqual({
      weekStart: expect.any(String),
      reports: 1,
      autonomousRate: 1,
      handedToPersonRate: 0,
      medianMinutesToTicket: 5,
      questionsPerReport: 0,
      answeredRate: null,
      duplicatesMerged: 0,
      accountsAffected: 1,
    });
    // Weeks start on Monday 00:00 UTC, one week apart, the current one holding now.
    const start = new Date(current.weekStart);
    expect(start.getUTCDay()).toBe(1);
    expect(start.toISOString()).toMatch(/T00:00:00\.000Z$/);
    expect(start.getTime()).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - start.getTime()).toBeLessThan(7 * 24 * 3600 * 1000);
    expect(start.getTime() - new Date(last.weekStart).getTime()).toBe(7 * 24 * 3600 * 1000);
  });

  it('shows 8 weeks by default, weeks without reports without rates', async () => {
    const weeks = (await scorecard().expect(200)).body.weeks as Week[];
    expect(weeks).toHaveLength(8);
    expect(weeks[0]).toMatchObject({
      reports: 0,
      autonomousRate: null,
      medianMinutesToTicket: null,
      duplicatesMerged: 0,
    });
    expect(weeks.slice(-2).map((w) => w.reports)).toEqual([1, 5]);
    // Another project's scorecard has none of these reports.
    const globex = await createProject(h.db, 'Globex');
    const theirs = await request(app.url).get('/v1/scorecard').set(globex.auth).expect(200);
    expect((theirs.body.weeks as Week[]).every((w) => w.reports === 0)).toBe(true);
  });

  it("exports the current week's figures on /metrics", async () => {
    const res = await request(app.url)
      .get('/metrics')
      .set('Authorization', `Bearer ${h.config.ADMIN_TOKEN}`)
      .expect(200);
    const gauge = (name: string) =>
      new RegExp(`^${name}\\{project="${acme.project.slug}"\\} ([0-9.]+)$`, 'm').exec(
        res.text,
      )?.[1];
    expect(gauge('repro_scorecard_reports')).toBe('5');
    expect(gauge('repro_scorecard_autonomous_rate')).toBe('0.4');
    expect(gauge('repro_scorecard_handed_to_person_rate')).toBe('0.4');
    expect(gauge('repro_scorecard_median_minutes_to_ticket')).toBe('25');
    expect(gauge('repro_scorecard_answered_rate')).toBe('0.5');
    expect(gauge('repro_scorecard_duplicates_merged')).toBe('1');
    expect(gauge('repro_scorecard_accounts_affected')).toBe('3');
    expect(Number(gauge('repro_scorecard_questions_per_report'))).toBeCloseTo(questionsAsked / 5);
  });

  it.each([[0], [53], ['many']])('answers 400 naming weeks for weeks=%s', async (weeks) => {
    const res = await scorecard({ weeks }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields[0].field).toBe('weeks');
  });
});
