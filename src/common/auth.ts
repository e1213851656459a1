import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

export const AUTH_KIND = 'repro:auth-kind';
/** Who may call a route. Every route needs an API key unless it says otherwise. */
export type AuthKind = 'api-key' | 'admin' | 'public';

/** Opts a route out of the API key; it must bring its own check (or need none, like /healthz). */
export const Public = () => SetMetadata(AUTH_KIND, 'public' satisfies AuthKind);
/** Operator routes: ADMIN_TOKEN as a Bearer token or Basic password. */
export const AdminOnly = () => SetMetadata(AUTH_KIND, 'admin' satisfies AuthKind);

/** The credential in `Authorization: Bearer x` or the password of `Authorization: Basic`. */
export function credentialOf(req: Request): string | undefined {
  const header = req.header('authorization');
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value.trim();
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}
