import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashApiKey, hashesEqual } from '../../projects/api-key';

/** Providers whose inbound webhook URL carries a basic-auth password. */
export type BasicAuthProvider = 'postmark' | 'sendgrid';

/**
 * A Mailgun signature older (or further ahead) than this is refused as stale. Mailgun retries a
 * route's POST for 8 hours and does not document signing each retry anew, so the window covers
 * them; a replay inside it is caught by the remembered token (see the controller).
 */
export const MAILGUN_MAX_AGE_SECONDS = 9 * 60 * 60;

/** The password of `Authorization: Basic …`, or null when the header is missing or not Basic. */
export function basicAuthPassword(header: string | undefined): string | null {
  const [scheme, value] = (header ?? '').trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

/** Whether `password` is the one whose hash the project stored (constant time). */
export function passwordMatches(password: string | null, storedHash: string | null): boolean {
  if (!password || !storedHash) return false;
  return hashesEqual(hashApiKey(password), storedHash);
}

/** A new webhook password: URL-safe, so it can sit in `https://user:password@host/…` as is. */
export function generateWebhookPassword(): string {
  return `whp_${randomBytes(24).toString('base64url')}`;
}

/** Mailgun's check: hex HMAC-SHA256 of timestamp + token, keyed with the webhook signing key. */
export function mailgunSignatureMatches(
  signingKey: string,
  timestamp: string,
  token: string,
  signature: string,
): boolean {
  const expected = createHmac('sha256', signingKey)
    .update(timestamp + token)
    .digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether a Mailgun timestamp (seconds) is within MAILGUN_MAX_AGE_SECONDS of `nowMs`. */
export function mailgunTimestampFresh(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= MAILGUN_MAX_AGE_SECONDS;
}
