import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** The agent's real defaults (the harness otherwise turns questions and approvals off). */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};

/** The reporter clicked Save on the profile page and the request failed with a 500. */
function failingSave(
  tag: string,
  error = `TypeError: ${tag}.avatar is undefined`,
): Record<string, unknown>[] {
  const b = new RrwebBuilder('https://app.acme.example/settings/profile');
  b.t0 = Date.now() - 10_000;
  return b
    .load(0, (x) => [x.el('button', {}, ['Save profile'], 'save')])
    .click(1_000, 'save')
    .request(1_200, 'POST', `https://app.acme.example/api/${tag}/profile`, 500)
    .consoleError(1_300, error).events;
}

interface Created {
  id: string;
  reporterToken: string;
}

async function post(app: RunningApp, project: TestProject, body: Record<string, unknown>) {
  const res = await request(app.url).post('/v1/reports').set(project.auth).send(body).expect(202);
  return res.body as Created;
}

async function audit(h: Harness, reportId: string, event?: string): Promise<PipelineEvent[]> {
  return h.db.getRepository(PipelineEvent).find({
    where: event ? { reportId, event } : { reportId },
    order: { id: 'ASC' },
  });
}

async function waitForQuestions(app: RunningApp, project: TestProject, id: string) {
  return waitFor(
    async () => {
      const res = await request(app.url).get(`/v1/reports/${id}`).set(project.auth);
      const view = res.body as ReportView;
      return view.status === 'clarifying' && view.questions.length ? view : undefined;
    },
    { what: `report ${id} to ask questions` },
  );
}

describe('the triage agent asks only what the evidence cannot answer (deterministic engine)', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness(AGENT_DEFAULTS);
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  it('files a vague report whose recording shows the failed save, without a question', async () => {
    // "profile is broken", and the recording shows Save profile clicked, a 500 and a TypeError:
    // what they did and what they expected are in the evidence.
    const created = await post(app, acme, {
      description: 'profile is broken',
      page: { url: 'https://app.acme.example/settings/profile' },
      client: { userAgent: CHROME },
      reporter: { email: 'ana@acme.example', name: 'Ana Lima' },
      events: failingSave('avatar'),
    });
    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.triage?.questionsAsked).toBe(0);
    expect(filed.triage?.facts.steps?.source).toBe('recording');
    expect(filed.triage?.facts.expected).toMatchObject({
      source: 'inferred',
      value: 'Clicking "Save profile" completes without an error',
    });
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.id });
    expect(issue.body).toMatch(
      /## Expected \/ Actual\n\n- \*\*Expected:\*\* Clicking .Save profile. completes without an error/,
    );
    expect(issue.body).toMatch(/\*\*Expected:\*\* .*_\(inferred, confidence/);
  });

  it('asks about the gaps only, waits without a job, and files the ticket once the reporter answers', async () => {
    // Not the profile report above (dedupe would join the two): another page, other words.
    const created = await post(app, acme, {
      description: 'notification settings are broken',
      page: { url: 'https://app.acme.example/settings/notifications' },
      client: { userAgent: CHROME },
      reporter: { email: 'ana@acme.example', name: 'Ana Lima' },
    });
    const view = await waitForQuestions(app, acme, created.id);

    // No recording: what happens and how to get there are the gaps. The page and the browser
    // are known, and a hosted app's customer is not sent to the developer tools.
    const asked = view.questions.join('\n');
    expect(asked).toMatch(/what exactly happens/i);
    expect(asked).toMatch(/step by step/i);
    expect(asked).not.toMatch(/browser|console|which page|version/i);
    expect(view.questions.length).toBeLessThanOrEqual(3);
    expect(view.triage?.facts.environment?.source).toBe('recording');

    // The widget reads the conversation with the reporter's token.
    const messages = await request(app.url)
      .get(`/v1/reports/${created.id}/messages`)
      .set({ Authorization: `Bearer ${created.reporterToken}` })
      .expect(200);
    expect(messages.body).toMatchObject({ status: 'clarifying', awaitingReply: true });
    expect(messages.body.messages).toHaveLength(1);
    expect(messages.body.messages[0]).toMatchObject({ author: 'agent', questions: view.questions });
    expect(messages.body.messages[0].body).toMatch(/^Hi Ana/);

    // Waiting holds no job, and the reconciler (every second here) leaves the report alone.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(await audit(h, created.id, 'requeued')).toEqual([]);
    expect(
      (await request(app.url).get(`/v1/reports/${created.id}`).set(acme.auth)).body.status,
    ).toBe('clarifying');

    await request(app.url)
      .post(`/v1/reports/${created.id}/messages`)
      .set({ Authorization: `Bearer ${created.reporterToken}` })
      .send({
        body: '1. The spinner keeps turning and the old choice stays.\n2. Open Settings, then Notifications, untick Weekly digest and press Save. I expected the weekly digest to be switched off.',
      })
      .expect(201);

    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.questions).toEqual([]);
    expect(filed.triage?.facts.expected).toMatchObject({ source: 'reporter' });
    expect(filed.triage?.facts.expected?.value).toMatch(/weekly digest to be switched off/);
    expect(filed.triage?.facts.steps?.source).toBe('reporter');
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.id });
    expect(issue.body).toContain('## What we know');
    expect(issue.body).toMatch(
      /## Expected \/ Actual\n\n- \*\*Expected:\*\* .*weekly digest to be switched off/,
    );
    expect(issue.body).toMatch(/## Steps to reproduce\n\n1\. /);

    // Every run is in the audit trail with the picture, and in the trace.
    const runs = await audit(h, created.id, 'triage');
    expect(runs).toHaveLength(2);
    expect(runs[0].details).toMatchObject({ engine: 'deterministic', decision: 'ask' });
    // Nothing personal in this report: the browser's version (126.0.0.0) is not an IP address.
    expect(runs[0].details.redactions).toEqual({});
    expect(runs[1].details).toMatchObject({ engine: 'deterministic', decision: 'file' });
    expect((runs[1].details.facts as Record<string, unknown>).expected).toMatchObject({
      source: 'reporter',
    });
    const trace = await request(app.url)
      .get(`/v1/reports/${created.id}/trace`)
      .set(acme.auth)
      .expect(200);
    expect(trace.body.engine).toBe('deterministic');
    expect(
      trace.body.steps.map((s: { run: number; tool: string }) => `${s.run}:${s.tool}`),
    ).toEqual(['1:facts', '1:questions', '2:facts', '2:questions', '2:ticket']);
  });

  it('asks once more after a vague answer, then files with the second answer', async () => {
    // Another page and words than the report above, so dedupe does not join the two.
    const created = await post(app, acme, {
      description: 'team invites are broken',
      page: { url: 'https://app.acme.example/settings/team' },
      client: { userAgent: CHROME },
    });
    const first = await waitForQuestions(app, acme, created.id);
    const auth = { Authorization: `Bearer ${created.reporterToken}` };
    const reply = (body: string) =>
      request(app.url)
        .post(`/v1/reports/${created.id}/messages`)
        .set(auth)
        .send({ body })
        .expect(201);

    await reply('idk');
    const second = await waitFor(
      async () => {
        const res = await request(app.url).get(`/v1/reports/${created.id}/messages`).set(auth);
        return res.body.messages.length === 3 ? res.body : undefined;
      },
      { what: 'a second question' },
    );
    expect(second.messages.map((m: { author: string }) => m.author)).toEqual([
      'agent',
      'reporter',
      'agent',
    ]);
    // Rephrased, about what the vague answer left open, and within the limit of three in all.
    expect(second.messages[2].questions.join('\n')).toMatch(/Sorry to ask again/);
    expect(first.questions.length + second.messages[2].questions.length).toBeLessThanOrEqual(3);

    await reply(
      'I type a colleague’s address in Invite and press Send invite, and nothing happens. I expected the invitation to go out, every time.',
    );
    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.triage?.facts.expected?.value).toMatch(/invitation to go out/);
    expect(filed.triage?.questionsAsked).toBe(
      first.questions.length + second.messages[2].questions.length,
    );
  });

  it('asks nothing when the report and the recording already say it all', async () => {
    const created = await post(app, acme, {
      description:
        'Saving my profile fails with an error\n\nSteps: open Settings > Profile, choose a new avatar, press Save profile.\nExpected: the avatar is saved.\nActual: "Something went wrong" and the old avatar stays. It happens every time since this morning and blocks our renewals.',
      page: { url: 'https://app.acme.example/settings/profile' },
      client: { userAgent: CHROME },
      events: failingSave('full'),
    });
    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.triage?.questionsAsked).toBe(0);
    const messages = await request(app.url)
      .get(`/v1/reports/${created.id}/messages`)
      .set(acme.auth)
      .expect(200);
    expect(messages.body.messages).toEqual([]);
  });

  it('lets only the report token or the project key into the conversation', async () => {
    const one = await post(app, acme, { description: 'export is broken' });
    const two = await post(app, acme, { description: 'search is broken' });
    const other = await createProject(h.db, 'Other');
    const as = (token: string) => ({ Authorization: `Bearer ${token}` });
    await request(app.url).get(`/v1/reports/${one.id}/messages`).expect(401);
    await request(app.url)
      .get(`/v1/reports/${one.id}/messages`)
      .set(as(two.reporterToken))
      .expect(401);
    await request(app.url).get(`/v1/reports/${one.id}/messages`).set(as('rpt_forged')).expect(401);
    await request(app.url).get(`/v1/reports/${one.id}/messages`).set(other.auth).expect(404);
    await request(app.url)
      .get(`/v1/reports/${one.id}/messages`)
      .set(as(one.reporterToken))
      .expect(200);
    await request(app.url).get(`/v1/reports/${one.id}/messages`).set(acme.auth).expect(200);
  });

  it('refuses an empty answer with the field, and an answer once the conversation is over', async () => {
    const created = await post(app, acme, {
      description: 'Saving my profile fails',
      page: { url: 'https://app.acme.example/settings/profile' },
      client: { userAgent: CHROME },
    });
    await waitForQuestions(app, acme, created.id);
    const auth = { Authorization: `Bearer ${created.reporterToken}` };
    const empty = await request(app.url)
      .post(`/v1/reports/${created.id}/messages`)
      .set(auth)
      .send({ body: '   ' })
      .expect(400);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');
    expect(empty.body.error.details.fields[0].field).toBe('body');

    await request(app.url)
      .post(`/v1/reports/${created.id}/messages`)
      .set(auth)
      .send({ body: 'I open my profile and press Save profile. Every time, on Chrome.' })
      .expect(201);
    await waitForReport(app.url, acme.auth, created.id, 'filed');
    const late = await request(app.url)
      .post(`/v1/reports/${created.id}/messages`)
      .set(auth)
      .send({ body: 'one more thing' })
      .expect(409);
    expect(late.body.error).toMatchObject({
      code: 'CONVERSATION_CLOSED',
      details: { field: 'status' },
    });
    const messages = await request(app.url).get(`/v1/reports/${created.id}/messages`).set(auth);
    expect(messages.body.messages.map((m: { author: string }) => m.author)).toEqual([
      'agent',
      'reporter',
    ]);
  });

  it('redacts card numbers, tokens and other emails from the ticket and records only counts', async () => {
    // A payment bug is urgent, which needs a person by default; this project files it alone.
    const shop = await createProject(h.db, 'Shop');
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { approvalSeverities: [] },
      shop.project.id,
    ]);
    const created = await post(app, shop, {
      description:
        'Checkout fails with card 4111 1111 1111 1111.\nThe request to https://api.acme.example/pay?access_token=abcDEF123456ghiJKL789 returns 500. Ask bob@customer.example.\nSteps: add to cart, press Pay.\nExpected: order placed. Every time.',
      page: { url: 'https://app.acme.example/checkout' },
      client: { userAgent: CHROME },
      reporter: { email: 'ana@acme.example' },
      events: failingSave(
        'redact',
        'Error: no customer carol@customer.example for 4242-4242-4242-4242',
      ),
    });
    await waitFor(
      async () => {
        const view = (await request(app.url).get(`/v1/reports/${created.id}`).set(shop.auth))
          .body as ReportView;
        if (view.status === 'clarifying' && view.questions.length) {
          await request(app.url)
            .post(`/v1/reports/${created.id}/messages`)
            .set(shop.auth)
            .send({ body: 'Every time since the last release.' });
          return undefined;
        }
        return view.status === 'filed' ? view : undefined;
      },
      { what: 'the report to be filed' },
    );
    const issue = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.id });
    expect(issue.body).not.toContain('4111');
    expect(issue.body).not.toContain('abcDEF123456ghiJKL789');
    expect(issue.body).not.toContain('bob@customer.example');
    // The recording's errors are redacted on the ticket too.
    expect(issue.body).toContain('Error: no customer [email] for [card]');
    expect(issue.body).not.toContain('carol@customer.example');
    expect(issue.body).not.toContain('4242-4242');
    expect(issue.body).toContain('[card]');
    const runs = await audit(h, created.id, 'triage');
    // One card and one email in the description; the recorded error, with another of each, is in
    // the analysis twice (its errors and its timeline).
    expect(runs[0].details.redactions).toMatchObject({ card: 3, email: 3 });
    const everything = JSON.stringify(await audit(h, created.id));
    expect(everything).not.toContain('4111 1111');
    expect(everything).not.toContain('bob@customer.example');
  });
});

describe('when the reporter does not answer', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness({ ...AGENT_DEFAULTS, AGENT_CLARIFY_TIMEOUT_MS: '2000' });
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  it('goes on with what is known after the timeout (a delayed job)', async () => {
    // What goes wrong is said; how to get there is the one question left.
    const created = await post(app, acme, {
      description: 'Saving my profile fails with "Request rejected"',
      page: { url: 'https://app.acme.example/settings/profile' },
      client: { userAgent: CHROME },
    });
    // Not polled while it waits: on a slow machine the 2 s could pass between two polls.
    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.questions).toEqual([]);
    const [asked] = await audit(h, created.id, 'questions_asked');
    const timeouts = await audit(h, created.id, 'clarify_timeout');
    expect(timeouts).toHaveLength(1);
    // The delayed job fired once the timeout had passed since the question.
    expect(timeouts[0].createdAt.getTime() - asked.createdAt.getTime()).toBeGreaterThanOrEqual(
      1_900,
    );
    const moved = (await audit(h, created.id, 'transition')).find((e) => e.toStatus === 'deduping');
    expect(moved?.reason).toMatch(/did not answer in time/);
    // No second round of questions after the timeout.
    const messages = await request(app.url)
      .get(`/v1/reports/${created.id}/messages`)
      .set(acme.auth);
    expect(messages.body.messages).toHaveLength(1);
  });

  it('hands the report to a person with the proposed ticket when the policy says so', async () => {
    const project = await createProject(h.db, 'Careful');
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { onClarifyTimeout: 'needs_human' },
      project.project.id,
    ]);
    const created = await post(app, project, { description: 'search is broken' });
    const waiting = await waitForReport(app.url, project.auth, created.id, 'needs_human');
    expect(waiting.triage?.proposal?.title).toBeTruthy();
    const moved = (await audit(h, created.id, 'transition')).find(
      (e) => e.toStatus === 'needs_human',
    );
    expect(moved?.reason).toMatch(/did not answer in time; by policy a person takes over/);
    expect(await audit(h, created.id, 'questions_asked')).toHaveLength(1);
  });
});
