import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { reportMarker } from '../../src/modules/triage/engine/ticket/ticket-body';
import { createProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { FakeGitHub } from '../fakes/github.server';
import { FakeLinear } from '../fakes/linear.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import {
  liveMarkup,
  liveReferences,
  renderMarkdown,
  visibleText,
} from '../support/rendered-markdown';
import { waitForReport } from '../support/reports';

/** The agent's real defaults (the harness otherwise turns questions off): it asks, they answer. */
const AGENT_DEFAULTS = {
  AGENT_MAX_QUESTIONS: '3',
  AGENT_AUTO_FILE_THRESHOLD: '0.5',
  AGENT_APPROVAL_SEVERITIES: 'urgent',
};

/** Another report's id, whose marker the customer pastes into their words. */
const FORGED = reportMarker(randomUUID());

const DESCRIPTION = [
  'Export CSV does nothing',
  '<img src=x onerror=alert(1)> <script>alert(document.cookie)</script>',
  '[click](javascript:alert(1)) ![](https://tracker.example/pixel.png)',
  'cc @octocat about #1',
  '# Heading',
  FORGED,
].join('\n');

const ANSWER =
  'I expected the CSV to download, <img src=x onerror=alert(2)> ![](https://tracker.example/answer.png) [docs](javascript:alert(3)) ask @octocat about #1. It happens every time.';

function hostileReport(): Record<string, unknown> {
  const base = reportPayload() as { reporter: { id: string; email: string } };
  return reportPayload({
    description: DESCRIPTION,
    page: {
      url: 'https://app.acme.example/reports/export',
      title: '<img src=x onerror=alert(1)> Reports @octocat #1',
    },
    reporter: { ...base.reporter, name: '<b>Ana</b> @octocat [me](javascript:alert(1))' },
    account: {
      id: `acct_${randomUUID().slice(0, 8)}`,
      name: '![](https://tracker.example/a.png) Evil #1 @octocat',
    },
  });
}

/** Files the hostile report through the real pipeline, answering the agent's questions with more. */
async function fileHostile(
  app: RunningApp,
  auth: Record<string, string>,
  until: 'filed' | 'duplicate' = 'filed',
): Promise<{ id: string; view: ReportView }> {
  const created = await request(app.url)
    .post('/v1/reports')
    .set(auth)
    .send(hostileReport())
    .expect(202);
  const { id, reporterToken } = created.body as { id: string; reporterToken: string };
  await waitFor(
    async () => {
      const view = (await request(app.url).get(`/v1/reports/${id}`).set(auth)).body as ReportView;
      return view.status === 'clarifying' && view.questions.length ? view : undefined;
    },
    { what: `report ${id} to ask its questions` },
  );
  await request(app.url)
    .post(`/v1/reports/${id}/messages`)
    .set({ Authorization: `Bearer ${reporterToken}` })
    .send({ body: ANSWER })
    .expect(201);
  return { id, view: await waitForReport(app.url, auth, id, until) };
}

/**
 * What an engineer sees when the tracker renders the body: the customer's words, every one,
 * and none of their markup; only Repro's own marker, on the first line.
 */
function expectInert(body: string, reportId: string, allowedLink: (href: string) => boolean) {
  const html = renderMarkdown(body);
  const live = liveMarkup(html);
  expect({
    images: live.images,
    rawHtml: live.rawHtml,
    links: live.links.filter((href) => !allowedLink(href)),
    headings: live.headings.filter((h) => /Heading|octocat|#1/.test(h)),
    mentionsAndReferences: liveReferences(html),
    hiddenMarkers: live.comments,
  }).toEqual({
    images: [],
    rawHtml: [],
    links: [],
    headings: [],
    mentionsAndReferences: [],
    hiddenMarkers: [reportMarker(reportId)],
  });
  expect(body.split('\n')[0]).toBe(reportMarker(reportId));
  expect(body).not.toContain(FORGED);
  const seen = visibleText(html);
  expect(seen).toContain('Export CSV does nothing');
  expect(seen).toContain('<img src=x onerror=alert(1)> <script>alert(document.cookie)</script>');
  expect(seen).toContain('[click](javascript:alert(1)) ![](https://tracker.example/pixel.png)');
  expect(seen).toContain('cc @octocat about #1');
  expect(seen).toContain('# Heading');
  expect(seen).toContain(FORGED);
  expect(seen).toContain('<img src=x onerror=alert(1)> Reports @octocat #1');
  expect(seen).toContain('<b>Ana</b> @octocat [me](javascript:alert(1))');
  expect(seen).toContain('![](https://tracker.example/a.png) Evil #1 @octocat');
  // The answer reached the ticket (as what the reporter expected), as text.
  expect(seen).toMatch(/CSV to download, <img src=x onerror=alert\(2\)>/);
}

describe('customer text in tickets is inert: GitHub and the built-in tracker', () => {
  const github = new FakeGitHub('ghp_safety_token', ['acme/web']);
  let h: Harness;
  let app: RunningApp;

  beforeAll(async () => {
    await github.start();
    h = await createHarness({
      ...AGENT_DEFAULTS,
      GITHUB_TOKEN: github.token,
      GITHUB_REPO: 'acme/web',
      GITHUB_API_URL: github.url,
    });
    app = await h.start('all');
  });
  afterAll(async () => {
    await h.close();
    await github.stop();
  });

  it("files a GitHub issue, and a second customer's duplicate comment, that show the hostile words as text with only Repro's markers", async () => {
    const auth = { Authorization: `Bearer ${app.firstKey!.key}` };
    const { id, view } = await fileHostile(app, auth);
    const number = Number(view.ticket!.key.split('#')[1]);
    const issue = github.issues.find((i) => i.number === number)!;
    expectInert(issue.body ?? '', id, (href) => href.startsWith(h.config.PUBLIC_URL));
    // The forged marker is in the body as text only: the report it names finds no issue here.
    expect(github.issues.filter((i) => i.body?.split('\n')[0] === FORGED)).toEqual([]);

    // Another customer reports the same bug: the duplicate comment shows their words as text.
    const second = await fileHostile(app, auth, 'duplicate');
    expect(second.view.ticket?.key).toBe(view.ticket!.key);
    expect(issue.comments).toHaveLength(1);
    const comment = issue.comments[0];
    expect(comment.split('\n')[0]).toMatch(/^<!-- repro:comment=.+ -->$/);
    const html = renderMarkdown(comment);
    const live = liveMarkup(html);
    expect({
      images: live.images,
      rawHtml: live.rawHtml,
      links: live.links,
      mentionsAndReferences: liveReferences(html),
      hiddenMarkers: live.comments.length,
    }).toEqual({ images: [], rawHtml: [], links: [], mentionsAndReferences: [], hiddenMarkers: 1 });
    const seen = visibleText(html);
    expect(seen).toContain('![](https://tracker.example/a.png) Evil #1 @octocat');
    expect(seen).toContain('<b>Ana</b> @octocat [me](javascript:alert(1))');
    expect(seen).toContain('cc @octocat about #1');
    expect(seen).toContain(FORGED);
  });

  it("keeps the app version the customer gave, in the agent's questions and the built-in ticket, and hides their IP address", async () => {
    const project = await createProject(h.db, 'Versions');
    const created = await request(app.url)
      .post('/v1/reports')
      .set(project.auth)
      .send(
        reportPayload({
          description:
            'Export CSV does nothing in the desktop app 3.7.11.0 on Windows; my IP is 52.14.7.201 if you need to look at the logs.',
        }),
      )
      .expect(202);
    const { id, reporterToken } = created.body as { id: string; reporterToken: string };
    const asked: string[] = [];
    const answered = new Set<string>();
    const view = await waitFor(
      async () => {
        const current = (await request(app.url).get(`/v1/reports/${id}`).set(project.auth))
          .body as ReportView;
        const round = current.questions.join('\n');
        // Each round of questions is answered once, however often it is polled.
        if (current.status === 'clarifying' && round && !answered.has(round)) {
          answered.add(round);
          asked.push(...current.questions);
          await request(app.url)
            .post(`/v1/reports/${id}/messages`)
            .set({ Authorization: `Bearer ${reporterToken}` })
            .send({ body: 'I expected a CSV file to download. It happens every time I click it.' })
            .expect(201);
        }
        return current.status === 'filed' ? current : undefined;
      },
      { what: `report ${id} to be filed`, timeoutMs: 30_000 },
    );
    expect(asked.filter((q) => /which version/i.test(q))).toEqual([]);
    const issue = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: id });
    expect(view.ticket).toBeTruthy();
    expect(issue.body).toContain('desktop app 3.7.11.0 on Windows');
    expect(issue.body).not.toContain('52.14.7.201');
  });

  it('files a built-in ticket whose body shows the hostile words as text', async () => {
    const other = await createProject(h.db, 'Builtin');
    const { id } = await fileHostile(app, other.auth);
    const issue = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: id });
    expectInert(issue.body, id, (href) => href.startsWith(h.config.PUBLIC_URL));
  });
});

describe('customer text in tickets is inert: Linear', () => {
  const linear = new FakeLinear();
  let h: Harness;
  let app: RunningApp;

  beforeAll(async () => {
    await linear.start();
    const eng = linear.addTeam('ENG', 'Engineering');
    linear.addLabel('bug', eng);
    h = await createHarness({
      ...AGENT_DEFAULTS,
      LINEAR_API_KEY: linear.apiKey,
      LINEAR_TEAM: 'ENG',
      LINEAR_API_URL: linear.url,
    });
    app = await h.start('all');
  });
  afterAll(async () => {
    await h.close();
    await linear.stop();
  });

  it('files a Linear issue and customer need that show the hostile words as text', async () => {
    const auth = { Authorization: `Bearer ${app.firstKey!.key}` };
    const { id, view } = await fileHostile(app, auth);
    const issue = linear.issues.find((i) => i.identifier === view.ticket!.key)!;
    expectInert(issue.description ?? '', id, (href) => href.startsWith(h.config.PUBLIC_URL));
    const need = linear.needs.find((n) => n.issueId === issue.id)!;
    const html = renderMarkdown(need.body ?? '');
    expect(liveMarkup(html)).toMatchObject({ images: [], links: [], rawHtml: [], comments: [] });
    expect(liveReferences(html)).toEqual([]);
    expect(visibleText(html)).toContain('cc @octocat about #1');
  });
});
