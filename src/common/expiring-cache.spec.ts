import { ExpiringCache } from './expiring-cache';

describe('ExpiringCache', () => {
  afterEach(() => jest.useRealTimers());

  it('remembers a value (null included) until its time is up', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const cache = new ExpiringCache<string, string | null>(5_000);
    cache.set('a', 'project');
    cache.set('unknown', null);
    jest.advanceTimersByTime(4_999);
    expect(cache.get('a')).toBe('project');
    expect(cache.get('unknown')).toBeNull();
    jest.advanceTimersByTime(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('unknown')).toBeUndefined();
  });

  it('remembers nothing with a ttl of 0, and starts over past its size', () => {
    const off = new ExpiringCache<string, number>(0);
    off.set('a', 1);
    expect(off.get('a')).toBeUndefined();
    const small = new ExpiringCache<string, number>(60_000, 2);
    small.set('a', 1);
    small.set('b', 2);
    small.set('c', 3);
    expect([small.get('a'), small.get('b'), small.get('c')]).toEqual([undefined, undefined, 3]);
  });
});
