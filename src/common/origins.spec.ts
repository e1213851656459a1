import { normaliseOrigin, originAllowed, parseOrigins } from './origins';

describe('widget origins', () => {
  it('keeps scheme, host and a non-default port, and refuses paths and other schemes', () => {
    expect(normaliseOrigin('https://App.Example.com')).toBe('https://app.example.com');
    expect(normaliseOrigin('https://app.example.com:443/')).toBe('https://app.example.com');
    expect(normaliseOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(normaliseOrigin('https://app.example.com/page')).toBeNull();
    expect(normaliseOrigin('ftp://app.example.com')).toBeNull();
    expect(normaliseOrigin('app.example.com')).toBeNull();
    expect(normaliseOrigin('null')).toBeNull();
  });

  it('parses a comma-separated list, naming what is not an origin', () => {
    expect(parseOrigins('https://a.test, https://b.test,,https://a.test/,nope')).toEqual({
      origins: ['https://a.test', 'https://b.test'],
      invalid: ['nope'],
    });
  });

  it("allows the listed origins and Repro's own, nothing else", () => {
    const allowed = ['https://a.test'];
    expect(originAllowed('https://a.test', allowed, 'http://localhost:3000')).toBe(true);
    expect(originAllowed('http://localhost:3000', allowed, 'http://localhost:3000/')).toBe(true);
    expect(originAllowed('https://evil.test', allowed, 'http://localhost:3000')).toBe(false);
    expect(originAllowed('https://a.test.evil.test', allowed, 'http://localhost:3000')).toBe(false);
    expect(originAllowed(undefined, allowed, 'http://localhost:3000')).toBe(false);
    expect(originAllowed('null', allowed, 'http://localhost:3000')).toBe(false);
  });

  it('allows a page Repro served itself, on the address the request was sent to', () => {
    const self = 'http://127.0.0.1:3000';
    expect(originAllowed(self, [], 'http://localhost:3000', self)).toBe(true);
    expect(originAllowed('http://127.0.0.1:4000', [], 'http://localhost:3000', self)).toBe(false);
    expect(originAllowed(undefined, [], 'http://localhost:3000', self)).toBe(false);
  });
});
