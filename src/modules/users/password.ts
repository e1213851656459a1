import * as argon2 from 'argon2';
import { createHash, randomBytes } from 'node:crypto';

/** Shorter passwords are refused when a person chooses one (generated ones are 24 characters). */
export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes whatever it is given; a longer "password" is someone testing our CPU. */
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id with the library's defaults (64 MiB, 3 passes): memory-hard, about 50 ms. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** Whether the password matches the PHC hash; a malformed hash is a mismatch, never a throw. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A password for a person to change later: 144 random bits, 24 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** A session's cookie token or CSRF token: 256 random bits. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of a session token: its SHA-256 in hex (the token itself never is). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Emails are compared lower-cased and trimmed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
