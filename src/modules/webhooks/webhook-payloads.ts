import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FieldProblem } from '../../common/errors';

/** How far a Linear delivery's `webhookTimestamp` may be from our clock. */
export const LINEAR_MAX_SKEW_MS = 60_000;

/** One issue as a webhook describes it, ready for the mirror. */
export interface IssueChange {
  provider: 'linear' | 'github';
  externalId: string;
  key: string;
  url: string;
  title: string;
  body: string;
  state: string;
  /** The tracker's category for the state: Linear's state type, GitHub's state_reason. */
  stateDetail: string | null;
  open: boolean;
  labels: string[];
  /** For a removal, the service stamps the time it learnt of it. */
  remoteUpdatedAt: Date;
  /** The issue was deleted (or moved away): mark it closed, never insert it. */
  removed: boolean;
}

/** What a verified delivery asks of us. */
export type WebhookOutcome =
  | { kind: 'issue'; change: IssueChange }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; problems: FieldProblem[] };

/** True when `signature` is the hex HMAC-SHA256 of `raw` under `secret`, compared in constant time. */
export function hmacMatches(raw: Buffer, secret: string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects field problems while reading a payload, so that one answer names every bad field. */
class Reader {
  readonly problems: FieldProblem[] = [];

  constructor(private readonly prefix: string) {}

  string(source: Json, key: string): string {
    const value = source[key];
    if (typeof value === 'string') return value;
    this.problems.push({ field: `${this.prefix}${key}`, message: 'must be a string' });
    return '';
  }

  optionalString(source: Json, key: string): string {
    const value = source[key];
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    this.problems.push({ field: `${this.prefix}${key}`, message: 'must be a string or null' });
    return '';
  }

  date(source: Json, key: string): Date {
    const value = source[key];
    const date = typeof value === 'string' ? new Date(value) : null;
    if (date && !Number.isNaN(date.getTime())) return date;
    this.problems.push({ field: `${this.prefix}${key}`, message: 'must be an ISO 8601 date' });
    return new Date(0);
  }

  object(source: Json, key: string): Json {
    const value = source[key];
    if (isObject(value)) return value;
    this.problems.push({ field: `${this.prefix}${key}`, message: 'must be an object' });
    return {};
  }

  labelNames(source: Json, key: string): string[] {
    const value = source[key];
    if (value === undefined || value === null) return [];
    const names = Array.isArray(value)
      ? value.map((label) => (isObject(label) ? label.name : undefined))
      : [undefined];
    if (names.every((name): name is string => typeof name === 'string')) return names;
    this.problems.push({
      field: `${this.prefix}${key}`,
      message: 'must be an array of { name }',
    });
    return [];
  }
}

const LINEAR_CLOSED_TYPES = new Set(['completed', 'canceled']);
const LINEAR_ACTIONS = new Set(['create', 'update', 'remove']);

/**
 * Reads a verified Linear delivery. Only `Issue` events change anything; an issue's state
 * type (completed, canceled) decides whether it is open.
 */
export function readLinearDelivery(body: Json): WebhookOutcome {
  if (body.type !== 'Issue') return { kind: 'ignored', reason: 'event' };
  const action = body.action;
  if (typeof action !== 'string' || !LINEAR_ACTIONS.has(action)) {
    return { kind: 'ignored', reason: 'action' };
  }
  const removed = action === 'remove';
  const read = new Reader('data.');
  // A removal only marks a known issue closed, so its id is all it must carry.
  const rest = removed ? new Reader('data.') : read;
  const data = isObject(body.data) ? body.data : {};
  if (!isObject(body.data)) read.problems.push({ field: 'data', message: 'must be an object' });
  const externalId = read.string(data, 'id');
  const state = rest.object(data, 'state');
  const stateName = rest.string(state, 'name');
  const stateType = rest.string(state, 'type');
  const change: IssueChange = {
    provider: 'linear',
    externalId,
    key: rest.string(data, 'identifier'),
    url: rest.string(data, 'url'),
    title: rest.string(data, 'title'),
    body: rest.optionalString(data, 'description'),
    state: removed ? 'Deleted' : stateName,
    stateDetail: removed ? null : stateType,
    open: !removed && !LINEAR_CLOSED_TYPES.has(stateType),
    labels: rest.labelNames(data, 'labels'),
    remoteUpdatedAt: removed ? new Date(0) : read.date(data, 'updatedAt'),
    removed,
  };
  if (read.problems.length) return { kind: 'invalid', problems: read.problems };
  return { kind: 'issue', change };
}

// Deleted or moved to another repository: either way it is no longer an issue of ours.
const GITHUB_GONE_ACTIONS = new Set(['deleted', 'transferred']);

/**
 * Reads a verified GitHub delivery of `X-GitHub-Event: issues`. `repository` must be the
 * configured one when GITHUB_REPO is set; issues of other repositories are ignored.
 */
export function readGithubIssuesDelivery(body: Json, repo: string | undefined): WebhookOutcome {
  const read = new Reader('');
  const action = read.string(body, 'action');
  const issue = read.object(body, 'issue');
  const repository = read.object(body, 'repository');
  const fullName = read.string(repository, 'full_name');
  if (read.problems.length) return { kind: 'invalid', problems: read.problems };
  if (repo && fullName.toLowerCase() !== repo.toLowerCase()) {
    return { kind: 'ignored', reason: 'repository' };
  }
  const issueRead = new Reader('issue.');
  const number = issue.number;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    issueRead.problems.push({ field: 'issue.number', message: 'must be an integer' });
  }
  const state = issueRead.string(issue, 'state');
  const removed = GITHUB_GONE_ACTIONS.has(action);
  const change: IssueChange = {
    provider: 'github',
    externalId: issueRead.string(issue, 'node_id'),
    key: `${fullName}#${String(number)}`,
    url: issueRead.string(issue, 'html_url'),
    title: issueRead.string(issue, 'title'),
    body: issueRead.optionalString(issue, 'body'),
    state: removed ? action : state,
    stateDetail: removed ? null : issueRead.optionalString(issue, 'state_reason') || null,
    open: !removed && state === 'open',
    labels: issueRead.labelNames(issue, 'labels'),
    remoteUpdatedAt: issueRead.date(issue, 'updated_at'),
    removed,
  };
  if (issueRead.problems.length) return { kind: 'invalid', problems: issueRead.problems };
  return { kind: 'issue', change };
}
