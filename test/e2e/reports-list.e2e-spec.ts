import request from 'supertest';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

interface Item {
  id: string;
  status: string;
  source: string;
  title: string;
  excerpt: string;
  reporter: { name: string | null; email: string | null } | null;
  account: { id: string; name: string | null; tier: string | null } | null;
  createdAt: string;
  ticket: { key: string; url: string; relation: string } | null;
  needsPerson: boolean;
  reasons: string[];
}

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** A report that states everything, so the agent decides at once (files it, or asks a person). */
function complete(title: string, account: Record<string, unknown>): Record<string, unknown> {
  return reportPayload({
    description: `${title}\n\nSteps: open Orders, choose an order, press Pay now.\nExpected: the payment goes through.\nActual: "Payment failed" for every customer since this morning.`,
    page: { url: 'https://app.acme.example/orders/5521/pay' },
    client: { userAgent: CHROME },
    account,
  });
}

describe('GET /v1/reports: the inbox', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let globex: TestProject;
  /** Oldest first. */
  const waiting: string[] = [];
  const filed: string[] = [];
  let invoiceReport: string;

  const list = (query: Record<string, string | number> = {}, project = acme) =>
    request(app.url).get('/v1/reports').query(query).set(project.auth);

  async function send(body: Record<string, unknown>, project = acme): Promise<string> {
    const res = await request(app.url).post('/v1/reports').set(project.auth).send(body).expect(202);
    return res.body.id as string;
  }

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db, 'Acme');
    globex = await createProject(h.db, 'Globex');
    // Enterprise accounts' reports wait for a person's approval.
    await h.db.query(`UPDATE projects SET agent_policy = $1 WHERE id = $2`, [
      { approvalTiers: ['Enterprise'] },
      acme.project.id,
    ]);
    // The reports waiting for a person are the oldest: the inbox still shows them first.
    for (const title of ['Refunds never arrive', 'Customers cannot pay their orders']) {
      const id = await send(
        complete(title, { id: 'acct-big', name: 'Big Co', tier: 'Enterprise' }),
      );
      await waitForReport(app.url, acme.auth, id, 'needs_human');
      waiting.push(id);
    }
    for (let n = 0; n < 4; n += 1) {
      const id = await send(reportPayload());
      await waitForReport(app.url, acme.auth, id, 'filed');
      filed.push(id);
    }
    invoiceReport = await send(
      reportPayload({
        description:
          'The invoices export hangs\nExporting invoices as PDF spins forever on the Billing page.',
      }),
    );
    await waitForReport(app.url, acme.auth, invoiceReport, 'filed');
    filed.push(invoiceReport);
    // Another project's report is never listed here.
    await send(reportPayload({ description: 'Globex invoices export hangs as well' }), globex);
  });
  afterAll(() => h.close());

  it('lists the reports waiting for a person first, then the rest, each newest first', async () => {
    const res = await list().expect(200);
    const items = res.body.items as Item[];
    expect(items.map((i) => i.id)).toEqual([...[...waiting].reverse(), ...[...filed].reverse()]);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.counts).toMatchObject({ needs_human: 2, filed: 5, received: 0 });

    const [first] = items;
    expect(first).toMatchObject({
      status: 'needs_human',
      source: 'api',
      needsPerson: true,
      account: { name: 'Big Co', tier: 'Enterprise', id: expect.any(String) },
      reporter: { name: 'Ana Lima', email: expect.stringMatching(/@acme\.example$/) },
      ticket: null,
    });
    // Why it waits, from the decision that handed it over; the proposed ticket's title.
    expect(first.reasons).toEqual([expect.stringMatching(/Enterprise accounts need a person/)]);
    expect(first.title).toBeTruthy();
    expect(first.excerpt).toMatch(/^Customers cannot pay their orders Steps: open Orders/);

    const invoice = items.find((i) => i.id === invoiceReport)!;
    expect(invoice).toMatchObject({
      status: 'filed',
      needsPerson: false,
      reasons: [],
      account: { name: 'Acme Inc.' },
      ticket: {
        key: expect.stringMatching(/^REPRO-\d+$/),
        relation: 'created',
        // The ticket's page in the web app.
        url: expect.stringMatching(/\/app\/tickets\/REPRO-\d+$/),
      },
    });
    expect(invoice.title.length).toBeLessThanOrEqual(120);
    expect(invoice.excerpt.length).toBeLessThanOrEqual(280);
  });

  it('filters by status, counting every status over the other filters', async () => {
    const res = await list({ status: 'needs_human' }).expect(200);
    expect((res.body.items as Item[]).map((i) => i.id)).toEqual([...waiting].reverse());
    expect(res.body.counts).toMatchObject({ needs_human: 2, filed: 5 });

    const both = await list({ status: 'filed,needs_human' }).expect(200);
    expect(both.body.items).toHaveLength(7);
  });

  it('filters by account and tier (any case), source and arrival time', async () => {
    const enterprise = await list({ tier: 'enterprise' }).expect(200);
    expect((enterprise.body.items as Item[]).map((i) => i.id)).toEqual([...waiting].reverse());
    expect(enterprise.body.counts).toMatchObject({ needs_human: 2, filed: 0 });

    const accountId = (enterprise.body.items as Item[])[0].account!.id;
    const byAccount = await list({ account: accountId }).expect(200);
    expect(byAccount.body.items).toHaveLength(2);

    expect((await list({ source: 'api' }).expect(200)).body.items).toHaveLength(7);
    const widget = await list({ source: 'widget' }).expect(200);
    expect(widget.body.items).toEqual([]);
    expect(widget.body.counts.filed).toBe(0);

    // From the third filed report on, and before the last one.
    const all = (await list({ status: 'filed' }).expect(200)).body.items as Item[];
    const oldestFirst = [...all].reverse();
    const from = oldestFirst[2].createdAt;
    const to = oldestFirst[4].createdAt;
    const window = await list({ status: 'filed', from, to }).expect(200);
    expect((window.body.items as Item[]).map((i) => i.id)).toEqual([filed[3], filed[2]]);
  });

  it("finds reports by their words (stemmed), in this project's reports only", async () => {
    const res = await list({ q: 'invoice exports' }).expect(200);
    expect((res.body.items as Item[]).map((i) => i.id)).toEqual([invoiceReport]);
    expect(res.body.counts).toMatchObject({ filed: 1, needs_human: 0 });
    expect((await list({ q: '"refunds never"' }).expect(200)).body.items).toHaveLength(1);
    expect((await list({ q: 'nothing-like-this-anywhere' }).expect(200)).body.items).toEqual([]);
  });

  it('pages through every report once, in order, with the cursor', async () => {
    const whole = ((await list().expect(200)).body.items as Item[]).map((i) => i.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { limit: 2 };
      if (cursor) query.cursor = cursor;
      const res = await list(query).expect(200);
      const items = res.body.items as Item[];
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((i) => i.id));
      cursor = res.body.nextCursor as string | null;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(whole);
    expect(pages).toBe(4);

    // A report arriving meanwhile does not shift the pages after the cursor.
    const firstPage = await list({ limit: 3 }).expect(200);
    await send(reportPayload());
    const next = await list({ limit: 3, cursor: firstPage.body.nextCursor as string }).expect(200);
    expect((next.body.items as Item[]).map((i) => i.id)).toEqual(whole.slice(3, 6));
  });

  it.each([
    ['status', { status: 'filed,archived' }],
    ['status', { status: '' }],
    ['account', { account: 'acct-big' }],
    ['source', { source: 'fax' }],
    ['from', { from: 'yesterday' }],
    ['to', { to: '2026-13-01' }],
    ['limit', { limit: 0 }],
    ['limit', { limit: 101 }],
    ['q', { q: 'x'.repeat(201) }],
    ['cursor', { cursor: 'not-a-cursor' }],
    [
      'cursor',
      { cursor: Buffer.from(JSON.stringify([1, "2026-01-01'; --", 'x'])).toString('base64url') },
    ],
  ])('answers 400 naming %s for a bad filter', async (field, query) => {
    const res = await list(query as Record<string, string | number>).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  });

  it('describes the inbox API in OpenAPI with its response schemas', async () => {
    const doc = (await request(app.url).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const schemaOf = (path: string, method: string, status: string) =>
      JSON.stringify(doc.paths[path][method].responses[status]);
    expect(schemaOf('/v1/reports', 'get', '200')).toContain('#/components/schemas/ReportListDto');
    expect(schemaOf('/v1/reports/{id}/staff-messages', 'post', '201')).toContain('MessageDto');
    expect(schemaOf('/v1/tickets/{key}', 'patch', '200')).toContain('TicketDetailDto');
    expect(schemaOf('/v1/tickets/{key}', 'get', '200')).toContain('TicketDetailDto');
    expect(schemaOf('/v1/scorecard', 'get', '200')).toContain('ScorecardDto');
    expect(Object.keys(doc.components.schemas.ReportListItemDto.properties)).toEqual(
      expect.arrayContaining(['title', 'excerpt', 'needsPerson', 'reasons', 'ticket']),
    );
  });

  it('needs a credential', async () => {
    await request(app.url).get('/v1/reports').expect(401);
  });
});
