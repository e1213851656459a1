import type { Request } from 'express';
import { sameOrigin, sessionTokenOf } from './auth';

function req(headers: Record<string, string>): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

describe('session cookie and origin checks', () => {
  it('finds the session token among other cookies', () => {
    expect(sessionTokenOf(req({ cookie: 'a=1; repro_session=tok-en_1; b=2' }))).toBe('tok-en_1');
    expect(sessionTokenOf(req({ cookie: 'a=1' }))).toBeUndefined();
    expect(sessionTokenOf(req({ cookie: 'repro_session=' }))).toBeUndefined();
    expect(sessionTokenOf(req({}))).toBeUndefined();
  });

  it("accepts no Origin, PUBLIC_URL's origin, or the request's own host", () => {
    const publicUrl = 'https://repro.example.com';
    expect(sameOrigin(req({ host: 'internal:3000' }), publicUrl)).toBe(true);
    expect(
      sameOrigin(req({ host: 'internal:3000', origin: 'https://repro.example.com' }), publicUrl),
    ).toBe(true);
    expect(
      sameOrigin(req({ host: 'localhost:3000', origin: 'http://localhost:3000' }), publicUrl),
    ).toBe(true);
  });

  it('refuses another site, another port, and the opaque origin', () => {
    const publicUrl = 'https://repro.example.com';
    for (const origin of [
      'https://evil.example',
      'https://repro.example.com.evil.example',
      'http://localhost:3001',
      'null',
    ]) {
      expect(sameOrigin(req({ host: 'localhost:3000', origin }), publicUrl)).toBe(false);
    }
  });
});
