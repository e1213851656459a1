/**
 * Every call to Repro's JSON API: the session cookie (same origin), the CSRF token on writes,
 * and the chosen project. Errors arrive as `{ error: { code, message, details } }`.
 */
import type { Session } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The form field the server named, if any (`details.field`, or the first of `details.fields`). */
  get field(): string | null {
    if (typeof this.details.field === 'string') return this.details.field;
    const fields = this.details.fields;
    if (Array.isArray(fields) && fields.length) {
      const first = fields[0] as { field?: unknown };
      if (typeof first.field === 'string') return first.field;
    }
    return null;
  }
}

interface ApiState {
  csrfToken: string | null;
  project: string | null;
  /** Called when the session is gone (401 on a data route). */
  onSignedOut: () => void;
}

const state: ApiState = { csrfToken: null, project: null, onSignedOut: () => undefined };

export function configureApi(next: Partial<ApiState>): void {
  Object.assign(state, next);
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && state.csrfToken) {
    headers['X-CSRF-Token'] = state.csrfToken;
  }
  if (state.project && !path.startsWith('/v1/session')) headers['X-Repro-Project'] = state.project;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Repro cannot be reached. Check your connection and retry.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: unknown } })
      ?.error;
    const failure = new ApiError(
      res.status,
      error?.code ?? `HTTP_${res.status}`,
      error?.message ?? `The server answered ${res.status}.`,
      (error?.details as Record<string, unknown> | undefined) ?? {},
    );
    // A route may refuse the session for its own reasons; only a session that is gone signs out.
    if (res.status === 401 && !path.startsWith('/v1/session')) {
      const alive = await fetch('/v1/session', { credentials: 'same-origin' }).catch(() => null);
      if (alive?.status === 401) state.onSignedOut();
    }
    throw failure;
  }
  return json as T;
}

export const sessionApi = {
  current: () => api<Session>('/v1/session'),
  signIn: (email: string, password: string) =>
    api<Session>('/v1/session', { method: 'POST', body: { email, password } }),
  signOut: () => api<void>('/v1/session', { method: 'DELETE' }),
};
