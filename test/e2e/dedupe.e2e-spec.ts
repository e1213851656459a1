import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { CandidateSearch, type DedupeQuery } from '../../src/modules/dedupe/candidate-search';
import { rankCandidates } from '../../src/modules/dedupe/dedupe-scorer';
import { DedupeStatsService } from '../../src/modules/dedupe/dedupe-stats.service';
import type { SignalKind } from '../../src/modules/dedupe/entities/report-signal.entity';
import { Report } from '../../src/modules/reports/entities/report.entity';
import type { ReportView } from '../../src/modules/intake/intake.service';
import { BuiltinIssue } from '../../src/modules/trackers/builtin/builtin-issue.entity';
import { BuiltinComment } from '../../src/modules/trackers/builtin/builtin-comment.entity';
import { PipelineEvent } from '../../src/modules/reports/entities/pipeline-event.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { FakeOpenAi } from '../fakes/openai.server';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { waitForReport } from '../support/reports';

const KINDS: { kind: SignalKind; target: string; other: (i: number) => string; reason: string }[] =
  [
    {
      kind: 'sentry_issue',
      target: '4500000777',
      other: (i) => `45000${i}`,
      reason: 'same Sentry issue',
    },
    {
      kind: 'error_fingerprint',
      target: 'f'.repeat(32),
      other: (i) => i.toString(16).padStart(32, '0'),
      reason: 'same error',
    },
    {
      kind: 'failing_request',
      target: 'POST /api/billing/:id/card 500',
      other: (i) => `POST /api/thing${i}/:id 500`,
      reason: 'same failing request',
    },
    {
      kind: 'clicked_element',
      target: '/settings/billing button "Save card"',
      other: (i) => `/area${i} button "Go ${i}"`,
      reason: 'same click',
    },
    {
      kind: 'route',
      target: '/projects/:id/exports',
      other: (i) => `/area${i}/:id`,
      reason: 'same page',
    },
  ];

const WORDS = [
  'chart',
  'invite',
  'token',
  'avatar',
  'webhook',
  'sidebar',
  'filter',
  'calendar',
  'upload',
  'theme',
];
const words = (i: number) =>
  `${WORDS[i % 10]} ${WORDS[(i * 3 + 1) % 10]} ${WORDS[(i * 7 + 2) % 10]}`;

describe('dedupe retrieval', () => {
  let h: Harness;
  let projectId: string;
  const DISTRACTORS = 150;

  /** A filed ticket in the mirror whose report carries one signal of every kind. */
  async function ticketWithSignals(
    title: string,
    values: Record<SignalKind, string>,
  ): Promise<string> {
    const report = await h.db.getRepository(Report).save({
      projectId,
      source: 'api',
      description: title,
      status: 'filed',
    });
    const externalId = randomUUID();
    const [ticket] = await h.db.query<{ id: string }[]>(
      `INSERT INTO tickets (project_id, provider, external_id, key, url, title, state)
       VALUES ($1, 'builtin', $2, $3, 'http://t', $4, 'open') RETURNING id`,
      [projectId, externalId, `REPRO-${randomBytes(3).toString('hex')}`, title],
    );
    await h.db.query(
      `INSERT INTO report_tickets (report_id, ticket_id, relation) VALUES ($1, $2, 'created')`,
      [report.id, ticket.id],
    );
    const [issue] = await h.db.query<{ id: string }[]>(
      `INSERT INTO tracker_issues (project_id, provider, external_id, key, url, title, body, state, open, labels, remote_updated_at)
       SELECT project_id, provider::text::mirror_provider, external_id, key, url, title, '', 'open', true, '{}', now() FROM tickets WHERE id = $1
       RETURNING id`,
      [ticket.id],
    );
    for (const [kind, value] of Object.entries(values)) {
      await h.db.query(
        `INSERT INTO report_signals (report_id, project_id, kind, value) VALUES ($1, $2, $3, $4)`,
        [report.id, projectId, kind, value],
      );
    }
    return issue.id;
  }

  let targetIssue: string;

  beforeAll(async () => {
    h = await createHarness();
    projectId = (await createProject(h.db)).project.id;
    for (let i = 0; i < DISTRACTORS; i++) {
      await ticketWithSignals(
        `The ${words(i)} page misbehaves (${i})`,
        Object.fromEntries(KINDS.map((k) => [k.kind, k.other(i)])) as Record<SignalKind, string>,
      );
    }
    targetIssue = await ticketWithSignals(
      'The sidebar chart page misbehaves (target)',
      Object.fromEntries(KINDS.map((k) => [k.kind, k.target])) as Record<SignalKind, string>,
    );
  });
  afterAll(() => h.close());

  it.each(KINDS)(
    'finds the one ticket sharing the $kind among 150 lookalikes by that signal alone',
    async ({ kind, target, reason }) => {
      const search = new CandidateSearch(h.db);
      // Words that every ticket shares, so text cannot tell them apart.
      const query: DedupeQuery = {
        title: 'The page misbehaves',
        body: '',
        signals: [{ kind, value: target, label: target }],
      };
      const terms = await search.terms(projectId, query.title, query.body);
      const ranked = rankCandidates(terms, await search.issues(projectId, query, terms));
      expect(ranked[0].id).toBe(targetIssue);
      expect(ranked[0].reasons[0]).toBe(`${reason} ${target}`);
      expect(ranked[1]?.score ?? 0).toBeLessThan(ranked[0].score);
    },
  );

  it('recounts word weights only when they are missing, an hour old, or the open issues moved by 10 %', async () => {
    const stats = new DedupeStatsService(h.db);
    const corpus = async () =>
      (
        await h.db.query<{ docs: number }[]>(
          'SELECT docs FROM dedupe_corpus_stats WHERE project_id = $1',
          [projectId],
        )
      )[0]?.docs;
    const docsWith = async (lexeme: string) =>
      (
        await h.db.query<{ docs: number }[]>(
          'SELECT docs FROM dedupe_term_stats WHERE project_id = $1 AND lexeme = $2',
          [projectId, lexeme],
        )
      )[0]?.docs;
    expect(await stats.refreshStale()).toContain(projectId);
    expect(await corpus()).toBe(DISTRACTORS + 1);
    expect(await docsWith('misbehav')).toBe(DISTRACTORS + 1);
    expect(await docsWith('target')).toBe(1);

    expect(await stats.refreshStale()).not.toContain(projectId);
    for (let i = 0; i < 20; i++) {
      await ticketWithSignals(`A brand new rebase problem ${i}`, {} as Record<SignalKind, string>);
    }
    expect(await stats.refreshStale()).toContain(projectId);
    expect(await docsWith('rebas')).toBe(20);
    expect(await stats.refreshStale()).not.toContain(projectId);
    expect(await stats.refreshStale(new Date(Date.now() + 61 * 60_000))).toContain(projectId);
  });

  it('keeps the ticket with the same Sentry issue in view when sixty tickets share the page', async () => {
    for (let i = 0; i < 60; i++) {
      await ticketWithSignals(`Crowded page issue ${i}`, { route: '/crowded/:id' } as Record<
        SignalKind,
        string
      >);
    }
    const needle = await ticketWithSignals('Crowded page crash', {
      route: '/crowded/:id',
      sentry_issue: '4500009999',
    } as Record<SignalKind, string>);
    const search = new CandidateSearch(h.db);
    const query: DedupeQuery = {
      title: 'Something broke',
      body: '',
      signals: [
        { kind: 'route', value: '/crowded/:id', label: '/crowded/:id' },
        { kind: 'sentry_issue', value: '4500009999', label: 'WEB-9999' },
      ],
    };
    const terms = await search.terms(projectId, query.title, query.body);
    const ranked = rankCandidates(terms, await search.issues(projectId, query, terms));
    expect(ranked[0]).toMatchObject({
      id: needle,
      reasons: ['same Sentry issue WEB-9999', 'same page /crowded/:id'],
    });
  });
});

/** A save that fails with its own console error, request and click: the evidence of one bug. */
function failingSave(tag: string) {
  const b = new RrwebBuilder('https://app.acme.example/settings/billing');
  b.t0 = Date.now() - 10_000;
  return b
    .load(0, (x) => [x.el('button', {}, [`Save ${tag}`], 'save')])
    .click(1_000, 'save')
    .request(1_200, 'POST', `https://app.acme.example/api/${tag}/card`, 500)
    .consoleError(1_300, `TypeError: ${tag}.card is undefined`).events;
}

describe('dedupe decisions in the pipeline (built-in tracker)', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(() => h.close());

  async function post(payload: Record<string, unknown>): Promise<string> {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload(payload))
      .expect(202);
    return res.body.id as string;
  }

  it('merges a report with the same error and failing request into the existing ticket, as a comment', async () => {
    const tag = `billing${randomBytes(2).toString('hex')}`;
    const first = await post({
      description: 'Cannot save my card',
      events: failingSave(tag),
      account: { id: 'acct_a', name: 'Acme' },
    });
    const filed = await waitForReport(app.url, acme.auth, first, 'filed');

    const second = await post({
      description: 'Card update does nothing',
      events: failingSave(tag),
      account: { id: 'acct_globex', name: 'Globex' },
    });
    const view = await waitForReport(app.url, acme.auth, second, 'duplicate');
    expect(view.ticket).toEqual({
      key: filed.ticket!.key,
      url: filed.ticket!.url,
      relation: 'duplicate',
    });
    expect(view.dedupe?.decision).toBe('duplicate');
    expect(view.dedupe?.candidates[0]).toMatchObject({ kind: 'issue', key: filed.ticket!.key });
    expect(view.dedupe?.candidates[0].reasons).toEqual(
      expect.arrayContaining([
        `same error TypeError: ${tag}.card is undefined`,
        `same failing request POST /api/${tag}/card 500`,
      ]),
    );
    const issue = await h.db.getRepository(BuiltinIssue).findOneByOrFail({ originReportId: first });
    const comments = await h.db.getRepository(BuiltinComment).findBy({ issueId: issue.id });
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain('Globex');
    expect(comments[0].body).toContain('> Card update does nothing');
    expect(await h.db.getRepository(BuiltinIssue).countBy({ originReportId: second })).toBe(0);
  });

  it('sends a report that reads like an open ticket, with no shared evidence, to a person with the candidates', async () => {
    const first = await post({
      description: 'Exporting the quarterly revenue report to CSV gives an empty file',
    });
    const filed = await waitForReport(app.url, acme.auth, first, 'filed');
    const second = await post({
      description: 'Exporting quarterly revenue report to CSV produces an empty file',
    });
    const view = await waitForReport(app.url, acme.auth, second, 'needs_human');
    expect(view.ticket).toBeNull();
    expect(view.dedupe).toMatchObject({ decision: 'possible_duplicate' });
    expect(view.dedupe?.candidates[0]).toMatchObject({ key: filed.ticket!.key });
    expect(view.dedupe!.score).toBeGreaterThanOrEqual(0.6);
    expect(view.dedupe!.score).toBeLessThan(0.9);
    expect(view.dedupe?.candidates[0].reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^title similarity 0\.\d\d$/)]),
    );
  });

  it('files a report about something else as a new ticket, saying what came closest', async () => {
    const id = await post({
      description: 'Two-factor codes from the authenticator app are rejected',
    });
    const view = await waitForReport(app.url, acme.auth, id, 'filed');
    expect(view.ticket?.relation).toBe('created');
    expect(view.dedupe?.decision).toBe('new');
  });

  it('waits to decide while an earlier report from the same page is still being analysed', async () => {
    // An earlier report, still in analysis (its updated_at in the future keeps the reconciler off).
    const [{ id: earlier }] = await h.db.query<{ id: string }[]>(
      `INSERT INTO reports (project_id, source, description, page_url, status, updated_at)
       VALUES ($1, 'api', 'Billing page broken', 'https://app.acme.example/settings/billing', 'analyzing', now() + interval '1 hour')
       RETURNING id`,
      [acme.project.id],
    );
    const later = await post({ description: 'Billing page is broken for me too' });
    const waiting = await waitFor(
      () =>
        h.db
          .getRepository(PipelineEvent)
          .findOneBy({ reportId: later, stage: 'dedupe', event: 'waiting' }),
      { what: 'the later report to wait' },
    );
    expect(waiting.reason).toMatch(
      new RegExp(`Report ${earlier} from the same page .* still being analysed`),
    );
    expect((await h.db.getRepository(Report).findOneByOrFail({ id: later })).status).toBe(
      'deduping',
    );

    // Once the earlier report is out of analysis, the later one decides.
    await h.db.query(`UPDATE reports SET status = 'failed' WHERE id = $1`, [earlier]);
    const view = await waitForReport(app.url, acme.auth, later, 'filed');
    expect(view.dedupe?.decision).toBe('new');
  });

  it('waits for an earlier report stuck in analysis no longer than the window after it arrived, writing one waiting row', async () => {
    // Stuck in analysis (its job never completes), it arrived 112 s ago: 8 s of the 2-minute
    // window are left, however long it stays stuck.
    const [{ id: stuck }] = await h.db.query<{ id: string }[]>(
      `INSERT INTO reports (project_id, source, description, page_url, status, created_at, updated_at)
       VALUES ($1, 'api', 'Billing page hangs', 'https://app.acme.example/settings/billing', 'analyzing',
               now() - interval '112 seconds', now() + interval '1 hour')
       RETURNING id`,
      [acme.project.id],
    );
    try {
      const later = await post({ description: 'Invoices page shows nothing' });
      const view = await waitFor(
        async () => {
          const res = await request(app.url).get(`/v1/reports/${later}`).set(acme.auth);
          return (res.body as ReportView).status === 'filed' ? (res.body as ReportView) : undefined;
        },
        { timeoutMs: 30_000, what: 'the later report to be filed' },
      );
      expect(view.dedupe?.decision).toBe('new');
      expect((await h.db.getRepository(Report).findOneByOrFail({ id: stuck })).status).toBe(
        'analyzing',
      );
      const waits = await h.db
        .getRepository(PipelineEvent)
        .findBy({ reportId: later, stage: 'dedupe', event: 'waiting' });
      expect(waits.length).toBeLessThanOrEqual(1);
    } finally {
      await h.db.query(`UPDATE reports SET status = 'failed' WHERE id = $1`, [stuck]);
    }
  });

  it('holds a report that arrives while an earlier one of the same bug is still in the pipeline, then merges it', async () => {
    const tag = `avatar${randomBytes(2).toString('hex')}`;
    // Back to back: the second reaches dedupe before the first has a ticket.
    const [first, second] = await Promise.all([
      post({
        description: 'Avatar upload crashes',
        events: failingSave(tag),
        account: { id: 'acct_1', name: 'One' },
      }),
      new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() =>
        post({
          description: 'Avatar upload broken',
          events: failingSave(tag),
          account: { id: 'acct_2', name: 'Two' },
        }),
      ),
    ]);
    const filed = await waitForReport(app.url, acme.auth, first, 'filed');
    const merged = await waitForReport(app.url, acme.auth, second, 'duplicate');
    expect(merged.ticket?.key).toBe(filed.ticket!.key);
    expect(await h.db.getRepository(BuiltinIssue).countBy({ originReportId: second })).toBe(0);
  });
});

describe('semantic re-ranking with embeddings (OPENAI_API_KEY set)', () => {
  const openai = new FakeOpenAi();
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;

  beforeAll(async () => {
    await openai.start();
    // What the texts mean, as the embedding model would say: a frozen checkout is one thing,
    // a wrongly coloured button another, whatever words they share.
    openai.scriptEmbedding(/freez|unresponsive/i, [1, 0]);
    openai.scriptEmbedding(/colour/i, [0, 1]);
    h = await createHarness({ OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.baseUrl });
    app = await h.start('all');
    acme = await createProject(h.db);
  });
  afterAll(async () => {
    await h.close();
    await openai.stop();
  });

  /** Posts a report and waits until dedupe has decided (filed, or handed to a person). */
  async function file(description: string): Promise<ReportView> {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ description }))
      .expect(202);
    return waitFor(
      async () => {
        const view = (await request(app.url).get(`/v1/reports/${res.body.id}`).set(acme.auth))
          .body as ReportView;
        return ['filed', 'needs_human'].includes(view.status) ? view : undefined;
      },
      { what: `report ${res.body.id} to be decided` },
    );
  }
  it('moves the candidate that means the same above one that only shares words, and caches embeddings per issue', async () => {
    const colour = await file('Checkout button colour is wrong on mobile');
    const frozen = await file('Payment page freezes after entering the card');
    const view = await file('Checkout button unresponsive when paying');

    const keys = view.dedupe!.candidates.map((c) => c.key);
    expect(keys.indexOf(frozen.ticket!.key)).toBeLessThan(keys.indexOf(colour.ticket!.key));
    expect(view.dedupe!.candidates[0]).toMatchObject({ key: frozen.ticket!.key });
    expect(view.dedupe!.candidates[0].reasons).toContain('meaning similarity 1.00');

    // Another report: the known issues' embeddings come from the cache, not the API.
    const before = openai.embeddedTexts().length;
    await file('Checkout button unresponsive on the second try');
    const sent = openai.embeddedTexts().slice(before);
    expect(sent[0]).toBe('Checkout button unresponsive on the second try');
    expect(sent.some((t) => /^(Checkout button colour|Payment page freezes)/.test(t))).toBe(false);
    expect(
      openai.embeddedTexts().filter((t) => t.startsWith('Checkout button colour is wrong')),
    ).toHaveLength(1);
    // Nothing personal goes out to be embedded.
    expect(openai.embeddedTexts().join('\n')).not.toMatch(/@acme\.example/);
  });

  it('ranks lexically and says why when the embeddings service fails', async () => {
    openai.failNext(3, 500);
    const view = await file('Calendar invites arrive without a time zone');
    expect(view.dedupe?.candidates.length).toBeGreaterThan(0);
    const audit = await h.db
      .getRepository(PipelineEvent)
      .findOneByOrFail({ reportId: view.id, stage: 'dedupe', event: 'transition' });
    expect(audit.details).toMatchObject({
      semantic: expect.stringMatching(/^semantic re-ranking skipped: 500/),
    });
  });
});
