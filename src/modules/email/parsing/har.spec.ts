import { failedRequestsFromHar, isHar } from './har';

const entry = (
  method: string,
  url: string,
  status: number | null,
  extra: Record<string, unknown> = {},
) => ({
  startedDateTime: '2023-12-04T10:15:02.250Z',
  time: 812.4,
  request: { method, url, headers: [] },
  response: status === null ? undefined : { status, headers: [] },
  ...extra,
});

describe('failedRequestsFromHar', () => {
  it('lists the requests that failed or got no answer, without query strings, with their time', () => {
    const har = {
      log: {
        version: '1.2',
        entries: [
          entry('GET', 'https://app.tilework.example/api/me', 200),
          entry('post', 'https://app.tilework.example/api/orders?token=secret#x', 500),
          entry('GET', 'https://app.tilework.example/api/coupons/WINTER10', 404),
          entry('GET', 'https://cdn.tilework.example/app.js', 0, {
            response: { status: 0, _error: 'net::ERR_BLOCKED_BY_CLIENT' },
          }),
          entry('GET', 'https://app.tilework.example/redirect', 302),
        ],
      },
    };
    expect(failedRequestsFromHar(har)).toEqual([
      {
        method: 'POST',
        url: 'https://app.tilework.example/api/orders',
        status: 500,
        t: Date.parse('2023-12-04T10:15:02.250Z'),
        durationMs: 812,
      },
      {
        method: 'GET',
        url: 'https://app.tilework.example/api/coupons/WINTER10',
        status: 404,
        t: Date.parse('2023-12-04T10:15:02.250Z'),
        durationMs: 812,
      },
      {
        method: 'GET',
        url: 'https://cdn.tilework.example/app.js',
        status: 0,
        t: Date.parse('2023-12-04T10:15:02.250Z'),
        durationMs: 812,
        error: 'net::ERR_BLOCKED_BY_CLIENT',
      },
    ]);
  });

  it('counts an entry with no response as a request that never got one', () => {
    const har = {
      log: { entries: [entry('PUT', 'https://app.tilework.example/api/profile', null)] },
    };
    expect(failedRequestsFromHar(har)).toMatchObject([{ method: 'PUT', status: 0 }]);
  });

  it.each([
    ['null', null],
    ['a string', 'not a har'],
    ['an array', [1, 2]],
    ['no log', { entries: [] }],
    ['entries not a list', { log: { entries: 'x' } }],
  ])('returns nothing for %s', (_label, junk) => {
    expect(failedRequestsFromHar(junk)).toEqual([]);
    expect(isHar(junk)).toBe(false);
  });

  it('skips junk entries and keeps the good ones', () => {
    const har = {
      log: {
        entries: [
          null,
          42,
          { request: { url: 'https://a.example/x' }, response: { status: 'bad' } },
          { request: {}, response: { status: 500 } },
          {
            request: { url: 'https://a.example/ok' },
            response: { status: 503 },
            startedDateTime: 'never',
          },
        ],
      },
    };
    expect(failedRequestsFromHar(har)).toEqual([
      { method: 'GET', url: 'https://a.example/ok', status: 503 },
    ]);
  });
});
