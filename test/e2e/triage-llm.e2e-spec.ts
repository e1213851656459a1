import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { TOOL_NAMES } from '../../src/modules/triage/engine/triage.types';
import type { TraceView } from '../../src/modules/pipeline/decisions/decisions.service';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { FakeOpenAi, type RecordedChatRequest } from '../fakes/openai.server';
import { FakeSentryApi } from '../fakes/sentry-api.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

/** The agent's real defaults (the harness otherwise turns questions and approvals off). */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A reporter no Sentry event names, so only the LLM's own search finds the Sentry issue. */
const stranger = (name = 'Ana Lima') => ({
  email: `nobody-${randomBytes(3).toString('hex')}@elsewhere.example`,
  name,
});

interface Created {
  id: string;
  reporterToken: string;
}

type Step = TraceView['steps'][number];

/** The names of the tools offered in one chat request. */
function offered(chat: RecordedChatRequest): string[] {
  return chat.tools.map((t) => (t.function as { name: string }).name);
}

/** The tool results the model had been sent by the time of this request. */
function toolResults(chat: RecordedChatRequest): string[] {
  return chat.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
}

/** The first user message: the report, the facts and the conversation so far. */
function reportMessage(chat: RecordedChatRequest): string {
  return String(chat.messages.find((m) => m.role === 'user')?.content);
}

describe('the LLM triage agent in the pipeline (OpenAI-compatible fake, real SDK)', () => {
  const openai = new FakeOpenAi();
  const sentry = new FakeSentryApi();
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    await openai.start();
    await sentry.start();
    h = await createHarness({
      ...AGENT_DEFAULTS,
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'gpt-test',
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
    await h?.close();
    await sentry.stop();
    await openai.stop();
  });
  beforeEach(() => openai.resetChat());
  // A test that leaves scripted answers unused did not go the way it thinks it did.
  afterEach(() => expect(openai.chatScriptLeft()).toBe(0));

  async function post(project: TestProject, body: Record<string, unknown>): Promise<Created> {
    const res = await request(app.url).post('/v1/reports').set(project.auth).send(body).expect(202);
    return res.body as Created;
  }

  async function view(project: TestProject, id: string): Promise<ReportView> {
    return (await request(app.url).get(`/v1/reports/${id}`).set(project.auth).expect(200))
      .body as ReportView;
  }

  async function trace(project: TestProject, id: string): Promise<TraceView> {
    return (await request(app.url).get(`/v1/reports/${id}/trace`).set(project.auth).expect(200))
      .body as TraceView;
  }

  async function audit(reportId: string, event?: string): Promise<PipelineEvent[]> {
    return h.db.getRepository(PipelineEvent).find({
      where: event ? { reportId, event } : { reportId },
      order: { id: 'ASC' },
    });
  }

  it('checks Sentry, asks the reporter, reads the answer and files a structured ticket', async () => {
    const issue = sentry.addIssue({
      title: "TypeError: Cannot read properties of undefined (reading 'avatarUrl')",
    });
    sentry.addEvent(issue.id, {
      // No page and no user: automatic matching cannot tie it to the report, the model can.
      at: new Date(Date.now() - 2 * 60_000),
      release: 'web@5.1.0',
      environment: 'production',
      frames: [
        {
          filename: 'app/settings/avatar.ts',
          function: 'renderAvatar',
          lineNo: 42,
          inApp: true,
        },
      ],
    });
    const questions = [
      'When you pressed Save on your profile, did an error message appear?',
      'Which file type and size was the picture?',
    ];
    const askReason = `Sentry ${issue.shortId} shows a TypeError on the profile page, but not what the reporter saw or expected`;
    openai.scriptChat(
      {
        toolCall: { name: 'search_sentry', arguments: { query: 'avatarUrl' } },
        content: 'Looking for the error behind the profile page first.',
      },
      {
        toolCall: { name: 'ask_reporter', arguments: { questions, reason: askReason } },
      },
    );

    const created = await post(acme, {
      description: 'My profile picture will not save',
      page: { url: 'https://app.acme.example/settings/profile', title: 'Profile' },
      client: { userAgent: CHROME },
      reporter: stranger(),
    });
    const asking = await waitFor(
      async () => {
        const v = await view(acme, created.id);
        return v.status === 'clarifying' && v.questions.length ? v : undefined;
      },
      { what: 'the LLM to ask its questions' },
    );

    // The reporter sees the LLM's own questions, in the report and in the widget's conversation.
    expect(asking.questions).toEqual(questions);
    expect(asking.triage).toMatchObject({ engine: 'llm', decision: 'ask' });
    expect(asking.sentry?.issue ?? null).toBeNull();
    const auth = { Authorization: `Bearer ${created.reporterToken}` };
    const conversation = await request(app.url)
      .get(`/v1/reports/${created.id}/messages`)
      .set(auth)
      .expect(200);
    expect(conversation.body).toMatchObject({ status: 'clarifying', awaitingReply: true });
    expect(conversation.body.messages).toHaveLength(1);
    expect(conversation.body.messages[0]).toMatchObject({ author: 'agent', questions });
    expect(conversation.body.messages[0].body).toContain(questions[0]);

    // Run 1: the model was offered every tool, under the configured model, and saw the issue
    // the fake Sentry returned before it asked.
    const run1 = openai.chatRequests();
    expect(run1).toHaveLength(2);
    expect(run1[0].model).toBe('gpt-test');
    expect(offered(run1[0])).toEqual([...TOOL_NAMES]);
    expect(toolResults(run1[1])).toHaveLength(1);
    expect(toolResults(run1[1])[0]).toContain(issue.shortId);
    expect(toolResults(run1[1])[0]).toContain('avatarUrl');

    const ticketArgs = {
      title: 'Saving a new avatar on /settings/profile fails with a TypeError',
      summary: `Saving the profile with a new avatar throws in renderAvatar (Sentry ${issue.shortId}); the old avatar stays.`,
      steps: ['Open Settings then Profile', 'Choose a new avatar', 'Press Save'],
      expected: 'The new avatar is saved and shown on the profile',
      actual: 'An error banner appears and the old avatar stays',
      severity: 'high',
      labels: ['bug', 'profile'],
      confidence: 0.88,
      reason: `The reporter confirmed the error banner; Sentry ${issue.shortId} has the stack`,
    };
    openai.scriptChat(
      {
        // The numeric id search_sentry returned (the fake Sentry resolves no short ids here).
        toolCall: { name: 'get_sentry_issue', arguments: { id: issue.id } },
        content: 'The reporter saw an error banner; reading the Sentry issue for the stack.',
      },
      { toolCall: { name: 'file_ticket', arguments: ticketArgs } },
    );
    const answer =
      'Yes, a red banner said Something went wrong. I expected my new avatar to show on my profile.';
    await request(app.url)
      .post(`/v1/reports/${created.id}/messages`)
      .set(auth)
      .send({ body: answer })
      .expect(201);

    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.ticket?.relation).toBe('created');
    expect(filed.questions).toEqual([]);
    expect(filed.triage).toMatchObject({ engine: 'llm', decision: 'file' });

    // Run 2 starts afresh, with the questions and the reporter's answer in its first message.
    const run2 = openai.chatRequests().slice(2);
    expect(run2).toHaveLength(2);
    const first = reportMessage(run2[0]);
    expect(first).toContain(answer);
    expect(first).toContain(questions[0]);
    expect(reportMessage(run1[0])).not.toContain(answer);
    // get_sentry_issue fetched the issue and its latest event from Sentry.
    expect(JSON.parse(toolResults(run2[1])[0])).toMatchObject({
      id: issue.id,
      shortId: issue.shortId,
      title: issue.title,
      release: 'web@5.1.0',
      environment: 'production',
      frames: ['app/settings/avatar.ts:42 renderAvatar'],
    });

    // The ticket is the LLM's: its title, summary, steps, severity and Expected / Actual.
    const ticket = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.id });
    expect(ticket.title).toBe(ticketArgs.title);
    expect(filed.ticket?.key).toBe(`REPRO-${ticket.number}`);
    expect(ticket.body).toContain(ticketArgs.summary.slice(0, 40));
    expect(ticket.body).toContain('Severity: **high**');
    expect(ticket.body).toContain(
      `## Expected / Actual\n\n- **Expected:** ${ticketArgs.expected}\n- **Actual:** ${ticketArgs.actual}`,
    );
    expect(ticket.body).toMatch(/1\. Open Settings then Profile\n2\. Choose a new avatar/);
    // Automatic matching missed the Sentry issue; the one the agent looked up is on the ticket.
    expect(ticket.body).toContain(`- Sentry issue: [${issue.shortId}](`);
    expect(ticket.body).toMatch(/the triage agent looked it up/);
    expect(filed.sentry?.issue?.shortId).toBe(issue.shortId);

    // The trace: both runs in order, token counts on the model calls, the reasons given.
    const t = await trace(acme, created.id);
    expect(t.engine).toBe('llm');
    expect(t.fallbackReason).toBeNull();
    expect(t.steps.map((s) => `${s.run}:${s.tool}`)).toEqual([
      '1:model',
      '1:search_sentry',
      '1:model',
      '1:ask_reporter',
      '2:model',
      '2:get_sentry_issue',
      '2:model',
      '2:file_ticket',
    ]);
    expect(t.steps.every((s) => s.engine === 'llm')).toBe(true);
    const models = t.steps.filter((s) => s.tool === 'model');
    for (const m of models) {
      expect(m.tokensIn).toBeGreaterThan(0);
      expect(m.tokensOut).toBeGreaterThan(0);
    }
    // What the fake answered is what was recorded.
    const answered = openai.chatRequests().map((c) => c.usage!.prompt_tokens);
    expect(models.map((m) => m.tokensIn)).toEqual(answered);
    expect(t.totals.tokensIn).toBe(answered.reduce((n, v) => n + v, 0));
    const byTool = (run: number, tool: string): Step =>
      t.steps.find((s) => s.run === run && s.tool === tool)!;
    expect(models[0].reason).toBe('Looking for the error behind the profile page first.');
    expect(byTool(1, 'search_sentry')).toMatchObject({
      arguments: { query: 'avatarUrl' },
      result: '1 issue(s)',
      reason: 'query: avatarUrl',
    });
    expect(byTool(1, 'ask_reporter')).toMatchObject({
      result: 'asks 2 question(s)',
      reason: askReason,
    });
    expect(byTool(2, 'file_ticket')).toMatchObject({
      result: `files "${ticketArgs.title}" (high, confidence 0.88)`,
      reason: ticketArgs.reason,
    });

    const runs = await audit(created.id, 'triage');
    expect(runs.map((r) => r.details)).toEqual([
      expect.objectContaining({ engine: 'llm', run: 1, decision: 'ask', fallbackReason: null }),
      expect.objectContaining({ engine: 'llm', run: 2, decision: 'file', fallbackReason: null }),
    ]);
    expect(runs[1].reason).toBe(`LLM engine, run 2: ${ticketArgs.reason}`);
  });

  it('merges a report the model marks as a duplicate of an open issue into that ticket', async () => {
    // The first report is filed by the model: its ticket enters the open-issue mirror.
    openai.scriptChat({
      toolCall: {
        name: 'file_ticket',
        arguments: {
          title: 'Invoice CSV export never finishes on /billing/invoices',
          summary: 'Exporting invoices as CSV spins forever; no file is downloaded.',
          steps: ['Open Billing then Invoices', 'Press Export CSV'],
          expected: 'A CSV file downloads',
          actual: 'The spinner never stops',
          severity: 'medium',
          labels: ['bug', 'billing'],
          confidence: 0.9,
          reason: 'Clear steps and symptom from the reporter',
        },
      },
    });
    const original = await post(acme, {
      description:
        'Invoice CSV export never finishes\nOn Billing > Invoices I press Export CSV and the spinner never stops.',
      page: { url: 'https://app.acme.example/billing/invoices', title: 'Invoices' },
      client: { userAgent: CHROME },
      reporter: stranger('Bea'),
    });
    const originalFiled = await waitForReport(app.url, acme.auth, original.id, 'filed');
    const key = originalFiled.ticket!.key;
    expect(key).toMatch(/^REPRO-\d+$/);
    openai.resetChat();

    const duplicateReason = `${key} describes the same stuck invoice CSV export`;
    openai.scriptChat(
      {
        toolCall: { name: 'search_similar_issues', arguments: { query: 'invoice CSV export' } },
      },
      {
        toolCall: {
          name: 'mark_duplicate',
          arguments: { target: key, reason: duplicateReason, confidence: 0.92 },
        },
      },
    );
    const ticketsBefore = await h.db
      .getRepository(BuiltinIssue)
      .countBy({ projectId: acme.project.id });
    const created = await post(acme, {
      description: 'Exporting my invoices to CSV hangs forever',
      page: { url: 'https://app.acme.example/billing/invoices', title: 'Invoices' },
      client: { userAgent: CHROME },
      reporter: stranger('Caio'),
    });
    const duplicate = await waitForReport(app.url, acme.auth, created.id, 'duplicate');

    // The model found the open issue through search_similar_issues before naming it.
    const chats = openai.chatRequests();
    expect(chats).toHaveLength(2);
    const [similar] = toolResults(chats[1]);
    expect(JSON.parse(similar)).toMatchObject({
      issues: [expect.objectContaining({ key, title: originalFiled.triage!.proposal!.title })],
    });

    expect(duplicate.ticket).toEqual({
      key,
      url: originalFiled.ticket!.url,
      relation: 'duplicate',
    });
    expect(duplicate.triage).toMatchObject({ engine: 'llm', decision: 'duplicate' });
    expect(duplicate.dedupe).toMatchObject({ decision: 'duplicate' });
    expect(duplicate.dedupe!.candidates[0]).toMatchObject({ key, kind: 'issue' });
    expect(await h.db.getRepository(BuiltinIssue).countBy({ projectId: acme.project.id })).toBe(
      ticketsBefore,
    );
    expect(await h.db.getRepository(BuiltinIssue).findOneBy({ originReportId: created.id })).toBe(
      null,
    );
    const merged = (await audit(created.id, 'transition')).find((e) => e.toStatus === 'duplicate');
    expect(merged?.reason).toContain(`Duplicate of ${key}: the agent: ${duplicateReason}`);

    const t = await trace(acme, created.id);
    expect(t.steps.map((s) => s.tool)).toEqual([
      'model',
      'search_similar_issues',
      'model',
      'mark_duplicate',
    ]);
    expect(t.steps[3]).toMatchObject({
      result: `duplicate of ${key} (confidence 0.92)`,
      reason: duplicateReason,
    });
  });

  it('reads an answer that arrives while the agent is still deciding, instead of leaving it unread', async () => {
    // Set once intake answers; the scripted model waits for it.
    const report: { created?: Created } = {};
    const early = 'It happens every time I press Save, and I expected the new photo to show.';
    openai.scriptChat(
      // While the model "thinks", the reporter adds more: the clarify job is busy, so the answer
      // queues no job of its own.
      async () => {
        while (!report.created) await new Promise((r) => setTimeout(r, 10));
        const created = report.created;
        await request(app.url)
          .post(`/v1/reports/${created.id}/messages`)
          .set({ Authorization: `Bearer ${created.reporterToken}` })
          .send({ body: early })
          .expect(201);
        return {
          toolCall: {
            name: 'ask_reporter',
            arguments: { questions: ['Does it happen every time?'], reason: 'frequency unknown' },
          },
        };
      },
      // The agent runs again with the answer and files.
      {
        toolCall: {
          name: 'file_ticket',
          arguments: {
            title: 'Saving a new profile photo does nothing',
            summary: 'Pressing Save with a new photo keeps the old one, every time.',
            steps: ['Open Profile', 'Choose a photo', 'Press Save'],
            expected: 'The new photo shows',
            actual: 'The old photo stays',
            severity: 'medium',
            labels: ['bug'],
            confidence: 0.8,
            reason: 'The reporter answered before being asked',
          },
        },
      },
    );
    const created = (report.created = await post(acme, {
      description: 'Profile photo will not change',
      page: { url: 'https://app.acme.example/settings/profile' },
      client: { userAgent: CHROME },
    }));
    const filed = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(filed.questions).toEqual([]);
    // The second run's first message carried the early answer.
    const requests = openai.chatRequests();
    expect(requests).toHaveLength(2);
    expect(JSON.stringify(requests[1].messages[1])).toContain('every time I press Save');
    // The question of the first run was never sent: the conversation is the reporter's message.
    const conversation = await request(app.url)
      .get(`/v1/reports/${created.id}/messages`)
      .set(acme.auth)
      .expect(200);
    expect(conversation.body.messages.map((m: { author: string }) => m.author)).toEqual([
      'reporter',
    ]);
  });

  it('falls back to the deterministic engine when the chat API keeps failing, and leaks no key', async () => {
    // The SDK retries twice: three 500s use up the call.
    openai.scriptChat({ status: 500 }, { status: 500 }, { status: 500 });
    const created = await post(acme, {
      description:
        'Renaming a folder fails with an error\n\nSteps: open Files, right-click a folder, choose Rename, type a new name, press Enter.\nExpected: the folder gets the new name.\nActual: "Could not rename" appears and the old name stays. It happens every time since yesterday.',
      page: { url: 'https://app.acme.example/files', title: 'Files' },
      client: { userAgent: CHROME },
      reporter: stranger('Dana'),
    });
    const [run] = await waitFor(
      async () => {
        const rows = await audit(created.id, 'triage');
        return rows.length ? rows : undefined;
      },
      { what: 'the triage run' },
    );
    expect(openai.chatRequests().map((c) => c.status)).toEqual([500, 500, 500]);

    // The report was still decided, by the deterministic engine, and went on accordingly.
    expect(run.details).toMatchObject({ engine: 'deterministic', run: 1 });
    expect(run.details.fallbackReason).toMatch(/^The OpenAI API failed \(TEMPORARY\): /);
    expect(run.reason).toMatch(/^Deterministic engine, run 1: /);
    expect(run.reason).toContain('fell back to the deterministic engine: The OpenAI API failed');
    // Everything the deterministic engine needs is in the description: it files, unasked.
    expect(run.details.decision).toBe('file');
    const final = await waitForReport(app.url, acme.auth, created.id, 'filed');
    expect(final.questions).toEqual([]);
    const ticket = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.id });
    expect(ticket.body).toMatch(/## Expected \/ Actual\n\n- \*\*Expected:\*\* .*new name/);
    expect(final.triage).toMatchObject({
      engine: 'deterministic',
      fallbackReason: run.details.fallbackReason,
    });

    const t = await trace(acme, created.id);
    expect(t.engine).toBe('deterministic');
    expect(t.fallbackReason).toBe(run.details.fallbackReason);
    expect(t.steps[0]).toMatchObject({ engine: 'llm', tool: 'model', result: 'failed: TEMPORARY' });
    expect(t.steps[1]).toMatchObject({
      engine: 'llm',
      tool: 'fallback',
      reason: run.details.fallbackReason,
    });
    expect(t.steps.slice(2).every((s) => s.engine === 'deterministic')).toBe(true);
    expect(t.steps.slice(2).map((s) => s.tool)).toContain('facts');

    // The key reaches the provider and nowhere a person reads.
    const conversation = await request(app.url)
      .get(`/v1/reports/${created.id}/messages`)
      .set({ Authorization: `Bearer ${created.reporterToken}` })
      .expect(200);
    const everything = JSON.stringify([
      t,
      final,
      conversation.body,
      await audit(created.id),
      await view(acme, created.id),
    ]);
    expect(everything).not.toContain(openai.apiKey);
    expect(everything).not.toMatch(/sk-fake/);
  });

  it('keeps file_ticket from the model when the policy forbids it, and files what a person approves', async () => {
    const careful = await createProject(h.db, 'Careful');
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { allowedTools: TOOL_NAMES.filter((t) => t !== 'file_ticket') },
      careful.project.id,
    ]);
    const escalation = {
      reason: 'This project does not let the agent file alone; the ticket is ready for review',
      title: 'Team invites fail with a 500 on /settings/team',
      summary: 'Sending an invite from Settings > Team returns a 500; nobody is invited.',
      severity: 'medium',
    };
    openai.scriptChat(
      // The model tries the forbidden tool anyway; it is told so and must decide otherwise.
      {
        toolCall: {
          name: 'file_ticket',
          arguments: {
            title: 'Invites fail',
            summary: 'Invites fail',
            steps: [],
            expected: null,
            actual: null,
            severity: 'medium',
            labels: [],
            confidence: 0.9,
            reason: 'clear enough',
          },
        },
      },
      { toolCall: { name: 'escalate_to_human', arguments: escalation } },
    );
    const created = await post(careful, {
      description:
        'Team invites fail\nOn Settings > Team I enter a colleague email and press Invite; I get a 500 error.',
      page: { url: 'https://app.acme.example/settings/team', title: 'Team' },
      client: { userAgent: CHROME },
      reporter: stranger('Eli'),
    });
    const waiting = await waitForReport(app.url, careful.auth, created.id, 'needs_human');

    const chats = openai.chatRequests();
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(offered(chat)).not.toContain('file_ticket');
      expect(offered(chat)).toContain('escalate_to_human');
    }
    expect(JSON.parse(toolResults(chats[1])[0])).toEqual({
      error: `Tool "file_ticket" is not allowed by this project's policy.`,
    });

    // A person sees the model's proposed ticket and why it waits for them.
    expect(waiting.ticket).toBeNull();
    expect(waiting.triage).toMatchObject({
      engine: 'llm',
      decision: 'escalate',
      proposal: { title: escalation.title, summary: escalation.summary, severity: 'medium' },
    });
    const handed = (await audit(created.id, 'transition')).find(
      (e) => e.toStatus === 'needs_human',
    );
    expect(handed?.reason).toBe(`The agent hands the report to a person: ${escalation.reason}`);
    expect(await h.db.getRepository(BuiltinIssue).findOneBy({ originReportId: created.id })).toBe(
      null,
    );

    const decided = await request(app.url)
      .post(`/v1/reports/${created.id}/decision`)
      .set(careful.auth)
      .send({ action: 'approve_with_edits', ticket: { title: 'Edited title', severity: 'high' } })
      .expect(200);
    expect(decided.body).toEqual({ id: created.id, status: 'filing' });
    const filed = await waitForReport(app.url, careful.auth, created.id, 'filed');
    expect(filed.ticket?.relation).toBe('created');
    const ticket = await h.db
      .getRepository(BuiltinIssue)
      .findOneByOrFail({ originReportId: created.id });
    expect(ticket.title).toBe('Edited title');
    expect(ticket.body).toContain('Severity: **high**');
    // What the person left alone stays as the model proposed it.
    expect(ticket.body).toContain(escalation.summary.slice(0, 30));
    // No second model run: the person's decision is final.
    expect(openai.chatRequests()).toHaveLength(2);
  });
});
