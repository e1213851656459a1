import { apiKeyPrefix, generateApiKey, hashApiKey, hashesEqual, normalisePrefix } from './api-key';

describe('API keys', () => {
  it('are random, carry a visible prefix, and hash to what is stored', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).not.toBe(b.key);
    expect(a.key.startsWith(`${a.prefix}_`)).toBe(true);
    expect(apiKeyPrefix(a.key)).toBe(a.prefix);
    expect(a.hash).toBe(hashApiKey(a.key));
    expect(a.hash).not.toContain(a.key.slice(a.prefix.length + 1));
    expect(hashesEqual(a.hash, hashApiKey(a.key))).toBe(true);
    expect(hashesEqual(a.hash, b.hash)).toBe(false);
  });

  it('rejects anything that is not a whole key', () => {
    const { key } = generateApiKey();
    expect(apiKeyPrefix(key.slice(0, -1))).toBeNull();
    expect(apiKeyPrefix(`${key}x`)).toBeNull();
    expect(apiKeyPrefix('Bearer ' + key)).toBeNull();
    expect(apiKeyPrefix('')).toBeNull();
  });

  it('accepts a prefix with or without repro_ for revocation', () => {
    expect(normalisePrefix('repro_abcdefghij')).toBe('repro_abcdefghij');
    expect(normalisePrefix('abcdefghij')).toBe('repro_abcdefghij');
    expect(normalisePrefix('abc')).toBeNull();
  });
});
