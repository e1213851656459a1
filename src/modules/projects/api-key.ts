import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PATTERN = /^repro_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface NewApiKey {
  /** Shown once, never stored. */
  key: string;
  /** `repro_xxxxxxxxxx`: safe to show and log; names the key for revocation. */
  prefix: string;
  hash: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): NewApiKey {
  const bytes = randomBytes(10);
  const id = Array.from(bytes, (b) => PREFIX_ALPHABET[b % PREFIX_ALPHABET.length]).join('');
  const key = `repro_${id}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: `repro_${id}`, hash: hashApiKey(key) };
}

/** The prefix of a well-formed key, or null for anything else. */
export function apiKeyPrefix(key: string): string | null {
  const match = KEY_PATTERN.exec(key);
  return match ? `repro_${match[1]}` : null;
}

/** Accepts `repro_xxxxxxxxxx` or just `xxxxxxxxxx`. */
export function normalisePrefix(input: string): string | null {
  const bare = input.trim().replace(/^repro_/, '');
  return /^[a-z0-9]{10}$/.test(bare) ? `repro_${bare}` : null;
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function generateWidgetKey(): string {
  return `pk_${randomBytes(16).toString('base64url')}`;
}
