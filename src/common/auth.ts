import { SetMetadata } from '@nestjs/common';
import { parse as parseCookie } from 'cookie';
import type { Request } from 'express';
import { DomainError, ErrorCode } from './errors';

export const AUTH_KIND = 'repro:auth-kind';
/**
 * Who may call a route. Every route needs an API key (or a person's session cookie) unless it
 * says otherwise; `session` routes take the session cookie only (GET and DELETE /v1/session).
 */
export type AuthKind = 'api-key' | 'admin' | 'public' | 'session';

/** Opts a route out of the API key; it must bring its own check (or need none, like /healthz). */
export const Public = () => SetMetadata(AUTH_KIND, 'public' satisfies AuthKind);
/** Operator routes: ADMIN_TOKEN as a Bearer token or Basic password. */
export const AdminOnly = () => SetMetadata(AUTH_KIND, 'admin' satisfies AuthKind);
/** Routes about the signed-in person's own session: the session cookie, never an API key. */
export const SessionOnly = () => SetMetadata(AUTH_KIND, 'session' satisfies AuthKind);

export const PEOPLE_ROLE = 'repro:people-role';
/**
 * An API-key route that a signed-in member may not call (403 FORBIDDEN_ROLE); admins and API
 * keys pass. Checked by the global guard, before the body is read.
 */
export const AdminOnlyForPeople = () => SetMetadata(PEOPLE_ROLE, 'admin');

/** The cookie that carries a person's session token (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'repro_session';
/** Writes with the session cookie carry the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-csrf-token';
/** Which of a person's projects a request is about (its slug); else their first project. */
export const PROJECT_HEADER = 'x-repro-project';

/** The error codes of people and sessions (a subset of ErrorCode in src/common/errors.ts). */
export const PeopleErrorCode = {
  /** POST /v1/session: no such person, a wrong password, or a disabled account (one answer). */
  InvalidCredentials: ErrorCode.InvalidCredentials,
  /** X-Repro-Project names a project the person may not reach (or they have none). */
  ProjectForbidden: ErrorCode.ProjectForbidden,
  /** A write with the session cookie without the session's X-CSRF-Token, or from another origin. */
  CsrfFailed: ErrorCode.CsrfFailed,
  /** A member calling a route for admins. */
  ForbiddenRole: ErrorCode.ForbiddenRole,
} as const;
export type PeopleErrorCode = (typeof PeopleErrorCode)[keyof typeof PeopleErrorCode];

/** A refusal of a person (401/403) with one of PeopleErrorCode's codes. */
export class PeopleAuthError extends DomainError {
  constructor(
    status: 401 | 403,
    code: PeopleErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(status, code, message, details);
    this.name = 'PeopleAuthError';
  }
}

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

/** The session token in the request's `repro_session` cookie, if any. */
export function sessionTokenOf(req: Request): string | undefined {
  const header = req.header('cookie');
  if (!header) return undefined;
  const token = parseCookie(header)[SESSION_COOKIE];
  return token ? token : undefined;
}

/**
 * Whether a request's Origin (when it sends one) is Repro's own: PUBLIC_URL's origin or the
 * host the request was addressed to. Browsers send Origin on every cross-site write.
 */
export function sameOrigin(req: Request, publicUrl: string): boolean {
  const origin = req.header('origin');
  if (origin === undefined) return true;
  let given: URL;
  try {
    given = new URL(origin);
  } catch {
    return false; // `null` (a sandboxed frame, a file) or garbage: not ours
  }
  if (given.origin === new URL(publicUrl).origin) return true;
  const host = req.header('host');
  return host !== undefined && given.host === host.toLowerCase();
}
