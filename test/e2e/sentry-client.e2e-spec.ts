import { SentryApiClient, SentryApiError } from '../../src/modules/sentry/sentry-api.client';
import { FakeSentryApi } from '../fakes/sentry-api.server';

/** The Sentry web API client against a fake that speaks Sentry's wire format and faults. */
describe('SentryApiClient', () => {
  const sentry = new FakeSentryApi();
  let issueId: string;
  let eventId: string;
  const at = new Date(Date.now() - 5 * 60_000);

  beforeAll(async () => {
    await sentry.start();
    sentry.addProject({ id: '7', slug: 'checkout' });
    const issue = sentry.addIssue({ title: 'TypeError: x is undefined' });
    issueId = issue.id;
    eventId = sentry.addEvent(issue.id, {
      at,
      user: { email: 'ana@example.com' },
      frames: [{ filename: 'app/billing.ts', function: 'save', lineNo: 12, inApp: true }],
    }).eventID;
  });
  afterAll(() => sentry.stop());
  afterEach(() => {
    sentry.rateLimit = null;
    sentry.setDown(false);
  });

  function client(over: Partial<ConstructorParameters<typeof SentryApiClient>[0]> = {}) {
    return new SentryApiClient({
      baseUrl: sentry.baseUrl,
      token: sentry.token,
      org: sentry.org,
      timeoutMs: 500,
      retryBudgetMs: 5_000,
      ...over,
    });
  }

  function requestsTo(pattern: RegExp): number {
    return sentry.requests.filter((r) => pattern.test(r.path)).length;
  }

  it('resolves an event id to its issue and reads the issue, its events and the latest one', async () => {
    const api = client();
    const resolved = await api.resolveEventId(eventId);
    expect(resolved).toMatchObject({ groupId: issueId, eventId });
    expect(await api.getIssue(issueId)).toMatchObject({
      id: issueId,
      title: 'TypeError: x is undefined',
    });
    const events = await api.listIssueEvents(issueId, { query: 'user.email:ana@example.com' });
    expect(events.map((e) => e.eventID)).toEqual([eventId]);
    expect((await api.latestEvent(issueId))?.eventID).toBe(eventId);
    expect(await api.resolveEventId('f'.repeat(32))).toBeNull();
    // Every request carries the token as a bearer credential.
    expect(sentry.requests.every((r) => r.authorization === `Bearer ${sentry.token}`)).toBe(true);
  });

  it('searches issues and events in a time window, filtered to the configured projects by slug', async () => {
    const api = client({ projects: ['web'] });
    const range = { start: new Date(at.getTime() - 60_000), end: new Date(at.getTime() + 60_000) };
    const issues = await api.searchIssues({ query: 'user.email:ana@example.com', range });
    expect(issues.map((i) => i.id)).toEqual([issueId]);
    const rows = await api.queryEvents({
      query: 'user.email:ana@example.com',
      range,
      fields: ['id', 'issue.id', 'timestamp'],
    });
    expect(rows).toEqual([
      { id: eventId, 'issue.id': Number(issueId), timestamp: expect.any(String) },
    ]);
    const search = sentry.requests.filter((r) => r.path.endsWith('/issues/')).pop()!;
    expect(search.query.getAll('project')).toEqual(['2']);
    // Outside the window, nothing.
    const before = {
      start: new Date(at.getTime() - 3_600_000),
      end: new Date(at.getTime() - 60_000),
    };
    expect(await api.searchIssues({ query: 'user.email:ana@example.com', range: before })).toEqual(
      [],
    );
  });

  it('waits out a 429 for as long as Retry-After says, then succeeds', async () => {
    const api = client();
    sentry.failNext(1, { status: 429, retryAfterSeconds: 1 }, { path: /\/issues\/\d+\/$/ });
    const before = requestsTo(/\/issues\/\d+\/$/);
    const started = Date.now();
    expect(await api.getIssue(issueId)).toMatchObject({ id: issueId });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(requestsTo(/\/issues\/\d+\/$/) - before).toBe(2);
  });

  it('fails fast with RATE_LIMITED when the wait would exceed the retry budget', async () => {
    const api = client({ retryBudgetMs: 2_000 });
    sentry.failNext(1, { status: 429, retryAfterSeconds: 60 });
    const started = Date.now();
    const error = await api.getIssue(issueId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SentryApiError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('holds the next request until X-Sentry-Rate-Limit-Reset once Remaining reaches 0', async () => {
    const api = client();
    const reset = Math.ceil(Date.now() / 1000) + 1;
    sentry.rateLimit = { limit: 40, remaining: 1, resetEpochSeconds: reset };
    await api.getIssue(issueId); // leaves remaining = 0
    sentry.rateLimit = null;
    await api.getIssue(issueId);
    // The second call went out only after the reset time.
    expect(Date.now()).toBeGreaterThanOrEqual(reset * 1000);
  });

  it('retries a 500 and a request that times out, and gives up with TEMPORARY after the last attempt', async () => {
    const api = client({ maxAttempts: 3 });
    sentry.failNext(1, { status: 500 });
    sentry.delayNext(1, 1_500, { path: /\/issues\/\d+\/$/ });
    expect(await api.getIssue(issueId)).toMatchObject({ id: issueId });

    sentry.failNext(3, { status: 502 });
    await expect(api.getIssue(issueId)).rejects.toMatchObject({
      code: 'TEMPORARY',
      message: expect.stringContaining('Sentry answered 502'),
    });

    // One attempt, no answer in time: the error says so.
    sentry.delayNext(1, 1_500);
    await expect(client({ maxAttempts: 1 }).getIssue(issueId)).rejects.toMatchObject({
      code: 'TEMPORARY',
      message: expect.stringContaining('no answer within 500 ms'),
    });
  });

  it('reports Sentry down as TEMPORARY and a refused token as UNAUTHORIZED, never echoing the token', async () => {
    sentry.setDown(true);
    await expect(client({ maxAttempts: 2 }).getIssue(issueId)).rejects.toMatchObject({
      code: 'TEMPORARY',
      message: expect.stringContaining('Sentry unreachable'),
    });
    sentry.setDown(false);

    const wrong = 'sntrys_wrong_token_9876543210';
    const error = (await client({ token: wrong })
      .getIssue(issueId)
      .catch((e: unknown) => e)) as SentryApiError;
    expect(error.code).toBe('UNAUTHORIZED');
    expect(`${error.message} ${error.stack}`).not.toContain(wrong);
  });

  it('looks up a replay and builds its web link', async () => {
    const replayId = 'c3b5f7e1-2a4d-4c6e-8f01-23456789abcd';
    sentry.addReplay({
      id: replayId,
      errorIds: [eventId],
      startedAt: new Date(at.getTime() - 60_000),
      finishedAt: at,
    });
    const api = client();
    const replay = await api.getReplay(replayId);
    expect(replay?.error_ids).toEqual([eventId]);
    expect(await api.getReplay('0'.repeat(32))).toBeNull();
    expect(api.replayUrl(replayId)).toBe(
      `${sentry.baseUrl}/organizations/acme/replays/c3b5f7e12a4d4c6e8f0123456789abcd/`,
    );
  });
});

describe('SentryApiClient against a self-hosted Sentry under a path prefix', () => {
  const selfHosted = new FakeSentryApi({ pathPrefix: '/sentry', org: 'internal' });
  beforeAll(() => selfHosted.start());
  afterAll(() => selfHosted.stop());

  it('calls the API under the prefix', async () => {
    const issue = selfHosted.addIssue({ title: 'Error: boom' });
    const api = new SentryApiClient({
      baseUrl: `${selfHosted.baseUrl}/`,
      token: selfHosted.token,
      org: 'internal',
    });
    expect(await api.getIssue(issue.id)).toMatchObject({ id: issue.id });
    expect(selfHosted.requests.map((r) => r.path)).toEqual([
      `/sentry/api/0/organizations/internal/issues/${issue.id}/`,
    ]);
  });
});
