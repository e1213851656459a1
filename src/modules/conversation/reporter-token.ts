import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'rpt_';

/** A reporter's conversation token: shown once at intake, stored only as its hash. */
export function newReporterToken(): { token: string; hash: string } {
  const token = `${PREFIX}${randomBytes(24).toString('base64url')}`;
  return { token, hash: hashReporterToken(token) };
}

export function hashReporterToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function looksLikeReporterToken(credential: string): boolean {
  return credential.startsWith(PREFIX);
}

export function reporterTokenMatches(token: string, hash: string | null): boolean {
  if (!hash) return false;
  const given = Buffer.from(hashReporterToken(token), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
