/**
 * The settings, people, projects and scorecard routes the settings and scorecard pages read and
 * write (through api.ts: session cookie, CSRF token on writes, the chosen project), and their
 * answers as the API documents them.
 */
import { api, type ApiError } from './api';
import type { ProjectRef } from './types';

export const SEVERITIES = ['urgent', 'high', 'medium', 'low'] as const;
export const TOOL_NAMES = [
  'get_report',
  'get_recording_analysis',
  'search_sentry',
  'get_sentry_issue',
  'search_similar_issues',
  'ask_reporter',
  'file_ticket',
  'mark_duplicate',
  'escalate_to_human',
] as const;
export const PROVIDERS = ['builtin', 'linear', 'github'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface QuestionHints {
  logs?: string;
  version?: string;
  latest?: string;
  versioned?: boolean;
}

export interface Policy {
  autoFileThreshold: number;
  approvalSeverities: string[];
  approvalTiers: string[];
  maxQuestions: number;
  allowedTools: string[];
  allowReporterEmail: boolean;
  onClarifyTimeout: 'proceed' | 'needs_human';
  questionHints: QuestionHints;
}

export interface PolicySettings {
  project: Partial<Policy>;
  effective: Policy;
}

export interface TrackerChoices {
  team?: string;
  labels?: string[];
  state?: string;
  repo?: string;
  assignees?: string[];
}

export interface TrackerSettings {
  provider: Provider;
  settings: TrackerChoices;
  hasToken: boolean;
  available: Record<Provider, boolean>;
  status: 'ok' | 'misconfigured';
  error: string | null;
  since: string | null;
}

export interface WidgetSettings {
  key: string;
  allowedOrigins: string[];
  ownOrigin: string;
  showTicketKey: boolean;
  snippet: string;
}

export interface EmailSettings {
  staffSenders: string[];
  unknownSenders: 'report' | 'refuse';
  questionsTo: 'reporter' | 'forwarder';
  domainAccounts: Record<string, string>;
  inboundUrl: string;
  smtpAddress: string | null;
  webhooks: Record<string, unknown>;
}

export interface ProjectSettings {
  id: string;
  slug: string;
  name: string;
  policy: PolicySettings;
  tracker: TrackerSettings;
  widget: WidgetSettings;
  email: EmailSettings;
}

export interface ApiKeyRow {
  prefix: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: 'admin' | 'member';
  createdAt: string;
  disabled: boolean;
  projects: ProjectRef[];
}

export interface CreatedProject extends ProjectRef {
  widgetKey: string;
  apiKey: { key: string; prefix: string };
}

export interface ScorecardWeek {
  weekStart: string;
  reports: number;
  autonomousRate: number | null;
  handedToPersonRate: number | null;
  medianMinutesToTicket: number | null;
  questionsPerReport: number | null;
  answeredRate: number | null;
  duplicatesMerged: number;
  accountsAffected: number;
}

const CURRENT = '/v1/projects/current';

export const settingsApi = {
  get: () => api<ProjectSettings>(`${CURRENT}/settings`),
  policy: (changes: Record<string, unknown>) =>
    api<PolicySettings>(`${CURRENT}/policy`, { method: 'PATCH', body: changes }),
  tracker: (changes: Record<string, unknown>) =>
    api<TrackerSettings>(`${CURRENT}/tracker`, { method: 'PATCH', body: changes }),
  widget: (changes: { allowedOrigins?: string[]; showTicketKey?: boolean }) =>
    api<WidgetSettings>(`${CURRENT}/widget`, { method: 'PATCH', body: changes }),
  rotateWidgetKey: () => api<WidgetSettings>(`${CURRENT}/widget/rotate-key`, { method: 'POST' }),
  email: (changes: Record<string, unknown>) =>
    api<EmailSettings>(`${CURRENT}/email`, { method: 'PATCH', body: changes }),
  apiKeys: () => api<ApiKeyRow[]>(`${CURRENT}/api-keys`),
  createApiKey: (label: string) =>
    api<ApiKeyRow & { key: string }>(`${CURRENT}/api-keys`, { method: 'POST', body: { label } }),
  revokeApiKey: (prefix: string) =>
    api<void>(`${CURRENT}/api-keys/${encodeURIComponent(prefix)}`, { method: 'DELETE' }),
  users: () => api<UserRow[]>('/v1/users'),
  createUser: (body: { email: string; name?: string; role: string; projects?: string[] }) =>
    api<UserRow & { password: string }>('/v1/users', { method: 'POST', body }),
  setUserDisabled: (id: string, disabled: boolean) =>
    api<UserRow>(`/v1/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: { disabled } }),
  resetPassword: (id: string) =>
    api<{ user: UserRow; password: string }>(`/v1/users/${encodeURIComponent(id)}/password`, {
      method: 'POST',
    }),
  projects: () => api<ProjectRef[]>('/v1/projects'),
  createProject: (body: { name: string; slug: string }) =>
    api<CreatedProject>('/v1/projects', { method: 'POST', body }),
  scorecard: (weeks: number) => api<{ weeks: ScorecardWeek[] }>(`/v1/scorecard?weeks=${weeks}`),
};

/** Every problem the server named, by field (`details.fields[]`, else `details.field`). */
export function fieldErrors(error: ApiError | null): Map<string, string> {
  const found = new Map<string, string>();
  if (!error) return found;
  const fields = error.details.fields;
  if (Array.isArray(fields)) {
    for (const entry of fields as { field?: unknown; message?: unknown }[]) {
      if (typeof entry.field === 'string' && !found.has(entry.field)) {
        found.set(entry.field, typeof entry.message === 'string' ? entry.message : error.message);
      }
    }
  }
  if (typeof error.details.field === 'string' && !found.has(error.details.field)) {
    found.set(error.details.field, error.message);
  }
  return found;
}

const projectListeners = new Set<() => void>();

/**
 * The shell's project select listens here: a project created on the settings page is then
 * listed without a reload. Answers the function that stops listening.
 */
export function onProjectsChanged(listener: () => void): () => void {
  projectListeners.add(listener);
  return () => projectListeners.delete(listener);
}

export function projectsChanged(): void {
  projectListeners.forEach((listener) => listener());
}

/** Lines of a textarea, trimmed, without the empty ones. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** A comma-separated field's entries, trimmed, without the empty ones. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
