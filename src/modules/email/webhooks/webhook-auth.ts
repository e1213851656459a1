import {
  createHmac,
  createPublicKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
  verify,
} from 'node:crypto';
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

/** Whether a timestamp (whole seconds) is within `maxAgeSeconds` of `nowMs`, either way. */
export function timestampFresh(timestamp: string, nowMs: number, maxAgeSeconds: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= maxAgeSeconds;
}

/** Whether a Mailgun timestamp (seconds) is within MAILGUN_MAX_AGE_SECONDS of `nowMs`. */
export function mailgunTimestampFresh(timestamp: string, nowMs: number): boolean {
  return timestampFresh(timestamp, nowMs, MAILGUN_MAX_AGE_SECONDS);
}

/**
 * A SendGrid signature older (or further ahead) than this is refused as stale. SendGrid retries
 * an Inbound Parse POST for 3 days and does not document signing each retry anew, so the window
 * covers them. Unlike Mailgun's, the signature covers the body: the only post a captured one
 * can carry is the very same post, which answers the same report (nothing to remember).
 */
export const SENDGRID_MAX_AGE_SECONDS = 73 * 60 * 60;

/** The headers a SendGrid security policy with signing adds to each Inbound Parse POST. */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * SendGrid's verification key (the policy's `public_key`: base64 of a P-256 SubjectPublicKeyInfo,
 * or the same as PEM) as a key object; null when it is not a P-256 public key.
 */
export function sendgridPublicKey(text: string): KeyObject | null {
  const trimmed = text.trim();
  try {
    const key = trimmed.includes('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      ? key
      : null;
  } catch {
    return null;
  }
}

/** The key as stored (base64 SubjectPublicKeyInfo, SendGrid's own form); null when not a key. */
export function normalizeSendgridPublicKey(text: string): string | null {
  return (
    sendgridPublicKey(text)?.export({ format: 'der', type: 'spki' }).toString('base64') ?? null
  );
}

/** SendGrid's check: ECDSA P-256 / SHA-256 over timestamp + the body's bytes, base64 DER. */
export function sendgridSignatureMatches(
  key: KeyObject,
  timestamp: string,
  body: Buffer,
  signature: string,
): boolean {
  try {
    return verify(
      'sha256',
      Buffer.concat([Buffer.from(timestamp, 'utf8'), body]),
      key,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}
