import { FakeSentryApi, type Event, type EventEntry, type Issue } from './sentry-api.server';

type Entry<T extends EventEntry['type']> = Extract<EventEntry, { type: T }>;

/** A response's JSON body, typed as the test expects it. */
async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Self-test of the Sentry web API fake, over real HTTP with Node's fetch. */
describe('FakeSentryApi', () => {
  const TOKEN = 'sntrys_fake_token_0123456789';
  const EVENT_IN = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const EVENT_OUT = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
  const REPLAY = '0123456789abcdef0123456789abcdef';
  const TRACE = 'da6caabcd90e45fdb81f6655824a5f88';
  const T0 = new Date('2024-05-01T10:00:00Z');
  const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

  let sentry: FakeSentryApi;

  const get = (path: string, token: string | null = TOKEN) =>
    fetch(`${sentry.baseUrl}/api/0${path}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });

  /** An issue with one event inside the 10:00–11:00 window and one the day before. */
  function seed() {
    const issue = sentry.addIssue({ title: 'TypeError: Cannot read properties of undefined' });
    sentry.addEvent(issue.id, {
      eventId: EVENT_IN,
      at: minutes(30),
      user: { id: '42', email: 'ada@example.com' },
      url: 'https://app.example.com/checkout?step=2',
      transaction: '/checkout',
      traceId: TRACE,
      replayId: REPLAY,
      release: 'web@1.2.3',
      environment: 'production',
      frames: [
        { filename: './src/checkout.ts', function: 'submit', lineNo: 12, colNo: 5, inApp: true },
        {
          filename: './node_modules/react-dom/index.js',
          function: 'invoke',
          lineNo: 1,
          inApp: false,
        },
      ],
      breadcrumbs: [{ timestamp: minutes(29), category: 'ui.click', message: 'button#pay' }],
    });
    sentry.addEvent(issue.id, {
      eventId: EVENT_OUT,
      at: minutes(-24 * 60),
      user: { id: '7', email: 'bob@example.com' },
      release: 'web@1.2.2',
    });
    return issue;
  }

  beforeEach(async () => {
    sentry = new FakeSentryApi();
    await sentry.start();
  });

  afterEach(async () => {
    await sentry.stop();
  });

  it('refuses requests without the bearer token, and unknown orgs and routes', async () => {
    const none = await get('/organizations/acme/projects/', null);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: 'Invalid token' });
    expect((await get('/organizations/acme/projects/', 'wrong')).status).toBe(401);

    const org = await get('/organizations/other/projects/');
    expect(org.status).toBe(404);
    expect(await org.json()).toEqual({ detail: 'The requested resource does not exist' });
    expect((await get('/organizations/acme/nothing/')).status).toBe(404);

    const ok = await get('/organizations/acme/projects');
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toEqual([
      { id: '2', slug: 'web', name: 'web', platform: 'javascript' },
    ]);
    expect(sentry.requests.map((r) => r.authorization)).toEqual([
      undefined,
      'Bearer wrong',
      `Bearer ${TOKEN}`,
      `Bearer ${TOKEN}`,
      `Bearer ${TOKEN}`,
    ]);
  });

  it('serves the API under a path prefix (self-hosted)', async () => {
    const prefixed = new FakeSentryApi({ pathPrefix: '/sentry', org: 'corp', token: 't' });
    await prefixed.start();
    try {
      expect(prefixed.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sentry$/);
      const res = await fetch(`${prefixed.baseUrl}/api/0/organizations/corp/projects/`, {
        headers: { Authorization: 'Bearer t' },
      });
      expect(res.status).toBe(200);
      const bare = prefixed.baseUrl.replace(/\/sentry$/, '');
      const unprefixed = await fetch(`${bare}/api/0/organizations/corp/projects/`, {
        headers: { Authorization: 'Bearer t' },
      });
      expect(unprefixed.status).toBe(404);
      expect(prefixed.requests[0].path).toBe('/sentry/api/0/organizations/corp/projects/');
    } finally {
      await prefixed.stop();
    }
  });

  it('resolves an event id to its project, issue and full event', async () => {
    const issue = seed();
    const res = await get(`/organizations/acme/eventids/${EVENT_IN}/`);
    expect(res.status).toBe(200);
    const body = await json<{ event: Event }>(res);
    expect(body).toMatchObject({
      organizationSlug: 'acme',
      projectSlug: 'web',
      groupId: issue.id,
      eventId: EVENT_IN,
    });
    const event = body.event;
    expect(event).toMatchObject({
      eventID: EVENT_IN,
      groupID: issue.id,
      title: issue.title,
      platform: 'javascript',
      type: 'error',
      metadata: { type: 'TypeError', value: 'Cannot read properties of undefined' },
      user: { id: '42', email: 'ada@example.com' },
      contexts: { trace: { trace_id: TRACE }, replay: { replay_id: REPLAY } },
      release: { version: 'web@1.2.3' },
      culprit: '/checkout',
    });
    expect(event.tags).toEqual(
      expect.arrayContaining([
        { key: 'replayId', value: REPLAY },
        { key: 'url', value: 'https://app.example.com/checkout?step=2' },
        { key: 'environment', value: 'production' },
      ]),
    );
    const [exception, breadcrumbs, request] = event.entries as [
      Entry<'exception'>,
      Entry<'breadcrumbs'>,
      Entry<'request'>,
    ];
    // Sentry's order: oldest call first, the crashing frame last.
    expect(exception.data.values[0].stacktrace!.frames.map((f) => f.function)).toEqual([
      'invoke',
      'submit',
    ]);
    expect(exception.data.values[0].stacktrace!.frames[1]).toMatchObject({
      filename: './src/checkout.ts',
      absPath: 'https://app.example.com/src/checkout.ts',
      lineNo: 12,
      colNo: 5,
      inApp: true,
    });
    expect(breadcrumbs.data.values[0]).toMatchObject({
      category: 'ui.click',
      message: 'button#pay',
    });
    expect(request.data).toMatchObject({
      url: 'https://app.example.com/checkout',
      method: 'GET',
      query: [['step', '2']],
    });

    expect((await get(`/organizations/acme/eventids/${'c'.repeat(32)}/`)).status).toBe(404);
    const latest = await json<Event>(
      await get(`/organizations/acme/issues/${issue.id}/events/latest/`),
    );
    expect(latest.eventID).toBe(EVENT_IN);
    expect(latest.previousEventID).toBe(EVENT_OUT);
  });

  it('searches issues by user.email within a window, by the same event', async () => {
    const issue = seed();
    const window = `start=${minutes(0).toISOString()}&end=${minutes(60).toISOString()}`;
    const search = async (query: string) => {
      const res = await get(
        `/organizations/acme/issues/?query=${encodeURIComponent(query)}&${window}`,
      );
      expect(res.status).toBe(200);
      return json<Issue[]>(res);
    };

    const hits = await search('user.email:ada@example.com');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      id: issue.id,
      shortId: 'WEB-1',
      count: '1',
      userCount: 1,
      status: 'unresolved',
      project: { id: '2', slug: 'web' },
      permalink: `${sentry.baseUrl}/organizations/acme/issues/${issue.id}/`,
      lifetime: { count: '2', userCount: 2 },
    });
    // Bob's event is the day before: outside the window.
    expect(await search('user.email:bob@example.com')).toEqual([]);
    expect(await search('user.email:*@EXAMPLE.com is:unresolved cannot')).toHaveLength(1);
    expect(await search('!user.email:ada@example.com')).toEqual([]);
    expect(await search('is:resolved')).toEqual([]);

    const bad = await get('/organizations/acme/issues/?query=browser.name:Chrome');
    expect(bad.status).toBe(400);
    expect((await json<{ detail: string }>(bad)).detail).toMatch(
      /^Invalid search query: unknown key.*browser\.name/,
    );

    const res = await get('/organizations/acme/issues/?limit=1');
    expect(res.headers.get('link')).toMatch(
      /rel="previous"; results="false"; cursor="0:0:1", <[^>]+cursor=0%3A1%3A0>; rel="next"; results="false"; cursor="0:1:0"$/,
    );
  });

  it('serves issue details and its events, newest first, a page at a time', async () => {
    const issue = seed();
    const detail = await json<Issue & Record<string, unknown>>(
      await get(`/organizations/acme/issues/${issue.id}`),
    );
    expect(detail).toMatchObject({
      id: issue.id,
      count: '2',
      userCount: 2,
      firstSeen: minutes(-24 * 60).toISOString(),
      lastSeen: minutes(30).toISOString(),
      firstRelease: { version: 'web@1.2.2' },
      lastRelease: { version: 'web@1.2.3' },
    });

    const page1 = await get(`/organizations/acme/issues/${issue.id}/events/?per_page=1`);
    const short = await json<Record<string, unknown>[]>(page1);
    expect(short).toEqual([expect.objectContaining({ eventID: EVENT_IN, groupID: issue.id })]);
    expect(short[0]).not.toHaveProperty('entries');
    const next = /<([^>]+)>; rel="next"; results="true"; cursor="0:1:0"/.exec(
      page1.headers.get('link') ?? '',
    );
    expect(next).not.toBeNull();
    const page2 = await fetch(`${next![1]}&full=true`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const full = await json<Event[]>(page2);
    expect(full.map((e) => e.eventID)).toEqual([EVENT_OUT]);
    expect(full[0].entries[0].type).toBe('exception');
    expect(page2.headers.get('link')).toContain('rel="next"; results="false"');

    const oldest = await json<Event>(
      await get(`/organizations/acme/issues/${issue.id}/events/oldest/`),
    );
    expect(oldest.eventID).toBe(EVENT_OUT);
    const byId = await get(`/organizations/acme/issues/${issue.id}/events/${'c'.repeat(32)}/`);
    expect(byId.status).toBe(404);
  });

  it('answers Discover queries with exactly the requested fields', async () => {
    const issue = seed();
    const params = new URLSearchParams([
      ['field', 'id'],
      ['field', 'issue.id'],
      ['field', 'issue'],
      ['field', 'timestamp'],
      ['field', 'user.email'],
      ['field', 'replayId'],
      ['field', 'trace'],
      ['query', 'has:user.email'],
      ['sort', '-timestamp'],
      ['dataset', 'errors'],
      ['project', '2'],
    ]);
    const res = await get(`/organizations/acme/events/?${params.toString()}`);
    expect(res.status).toBe(200);
    const body = await json<{ data: unknown[]; meta: { fields: object } }>(res);
    expect(body.meta.fields).toEqual({
      id: 'string',
      'issue.id': 'integer',
      issue: 'string',
      timestamp: 'date',
      'user.email': 'string',
      replayId: 'string',
      trace: 'string',
    });
    expect(body.data).toEqual([
      {
        id: EVENT_IN,
        'issue.id': Number(issue.id),
        issue: 'WEB-1',
        timestamp: '2024-05-01T10:30:00+00:00',
        'user.email': 'ada@example.com',
        replayId: REPLAY,
        trace: TRACE,
      },
      expect.objectContaining({ id: EVENT_OUT, replayId: null }),
    ]);

    const windowed = new URLSearchParams([
      ['field', 'id'],
      ['query', `trace:${TRACE}`],
      ['start', minutes(0).toISOString()],
      ['end', minutes(60).toISOString()],
    ]);
    const one = await json<{ data: unknown[] }>(
      await get(`/organizations/acme/events/?${windowed.toString()}`),
    );
    expect(one.data).toEqual([{ id: EVENT_IN }]);
  });

  it('looks replays up with or without dashes', async () => {
    sentry.addReplay({
      id: REPLAY,
      errorIds: [EVENT_IN],
      traceIds: [TRACE],
      urls: ['https://app.example.com/checkout'],
      startedAt: minutes(25),
      finishedAt: minutes(31),
      user: { id: '42', email: 'ada@example.com' },
    });
    const dashed = `${REPLAY.slice(0, 8)}-${REPLAY.slice(8, 12)}-${REPLAY.slice(12, 16)}-${REPLAY.slice(16, 20)}-${REPLAY.slice(20)}`;
    for (const id of [REPLAY, dashed]) {
      const res = await get(`/organizations/acme/replays/${id}/`);
      expect(res.status).toBe(200);
      expect((await json<{ data: unknown }>(res)).data).toMatchObject({
        id: REPLAY,
        project_id: '2',
        error_ids: [EVENT_IN],
        trace_ids: [TRACE],
        duration: 360,
        count_errors: 1,
        started_at: minutes(25).toISOString(),
        user: { id: '42', email: 'ada@example.com', display_name: 'ada@example.com' },
      });
    }
    expect((await get(`/organizations/acme/replays/${'f'.repeat(32)}/`)).status).toBe(404);
  });

  it('answers scripted 429s with rate-limit headers, then recovers', async () => {
    sentry.rateLimit = { limit: 40, remaining: 2, resetEpochSeconds: 1_700_000_000 };
    sentry.failNext(
      1,
      { status: 429, retryAfterSeconds: 3, rateLimitResetEpochSeconds: 1_700_000_123 },
      { path: /\/issues\// },
    );
    const other = await get('/organizations/acme/projects/');
    expect(other.status).toBe(200);
    expect(other.headers.get('x-sentry-rate-limit-remaining')).toBe('1');

    const limited = await get('/organizations/acme/issues/');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('x-sentry-rate-limit-reset')).toBe('1700000123');
    expect(limited.headers.get('x-sentry-rate-limit-limit')).toBe('40');
    expect(await limited.json()).toEqual({
      detail:
        'You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds',
    });

    const after = await get('/organizations/acme/issues/');
    expect(after.status).toBe(200);
    expect(after.headers.get('x-sentry-rate-limit-remaining')).toBe('0');
  });

  it('delays answers so client timeouts can fire', async () => {
    sentry.delayNext(1, 300);
    const started = Date.now();
    const timedOut = get('/organizations/acme/projects/').then(
      () => 'answered',
      (err: Error) => err.name,
    );
    // fetch's own timeout, as a client would set it.
    const aborted = fetch(`${sentry.baseUrl}/api/0/organizations/acme/projects/`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      signal: AbortSignal.timeout(100),
    }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    expect(await timedOut).toBe('answered');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The second request was not delayed (one delay only).
    expect(await aborted).toBe('answered');

    sentry.delayNext(1, 500);
    await expect(
      fetch(`${sentry.baseUrl}/api/0/organizations/acme/projects/`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('resets connections while down', async () => {
    sentry.setDown(true);
    // undici: TypeError "fetch failed", caused by the socket closing without an answer.
    const err = await get('/organizations/acme/projects/').catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect((err as Error).cause).toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(sentry.requests).toHaveLength(1);
    sentry.setDown(false);
    expect((await get('/organizations/acme/projects/')).status).toBe(200);
  });
});
