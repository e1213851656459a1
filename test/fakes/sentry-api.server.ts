import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A fake of Sentry's web API (`https://sentry.io/api/0/...`), read-only, answering with the JSON
 * shapes of Sentry's published API examples (getsentry/sentry: `IssueExamples` and
 * `QUERY_DISCOVER_EVENTS` in `src/sentry/apidocs/examples/`, and the 200 example of
 * `api-docs/paths/events/latest-event.json`): an issue, an issue's latest event and a Discover
 * result. The objects are built here from
 * what a test seeds (projects, issues, events, replays), so the real Sentry API client, which
 * uses Node's `fetch`, is what tests exercise: bearer-token auth, Sentry's error bodies, search
 * syntax, cursor pagination in the `Link` header, rate-limit headers and scripted faults.
 */

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface FakeSentryOptions {
  /** The only token accepted (`Authorization: Bearer <token>`). */
  token?: string;
  /** The organization slug. */
  org?: string;
  /** Where a self-hosted install lives, e.g. `/sentry`: the API is at `${pathPrefix}/api/0`. */
  pathPrefix?: string;
}

export interface SentryProject {
  id: string;
  slug: string;
  name: string;
  platform: string;
}

/** An issue ("group") as Sentry serializes it in `GET /organizations/{org}/issues/`. */
export interface Issue {
  id: string;
  shortId: string;
  title: string;
  culprit: string;
  permalink: string;
  logger: string | null;
  level: string;
  status: 'unresolved' | 'resolved' | 'ignored';
  statusDetails: Record<string, unknown>;
  substatus: string | null;
  isPublic: boolean;
  platform: string;
  project: SentryProject;
  type: string;
  metadata: { type?: string; value?: string; title?: string; filename?: string; function?: string };
  numComments: number;
  assignedTo: unknown;
  isBookmarked: boolean;
  isSubscribed: boolean;
  subscriptionDetails: unknown;
  hasSeen: boolean;
  annotations: unknown[];
  isUnhandled: boolean;
  shareId: string | null;
  /** A string in Sentry's JSON. */
  count: string;
  userCount: number;
  firstSeen: string;
  lastSeen: string;
}

/** One stack frame as given to {@link FakeSentryApi.addEvent}. */
export interface FrameInput {
  filename: string;
  function: string;
  lineNo: number;
  colNo?: number;
  inApp: boolean;
}

export interface EventInput {
  /** 32 hex digits (dashes are dropped); generated when absent. */
  eventId?: string;
  /** When the error happened (`dateCreated`). */
  at: Date;
  user?: { id?: string; email?: string };
  /** The page: the `url` tag and the request entry. */
  url?: string;
  transaction?: string;
  /** 32 hex digits; generated when absent (every JS SDK event has a trace context). */
  traceId?: string;
  /** The session replay recording this error (tag `replayId`, context `replay`). */
  replayId?: string;
  release?: string;
  environment?: string;
  /**
   * The stack TOP-FIRST, as a JS `Error.stack` reads: the crashing frame first. Sentry stores
   * and serves frames the other way round (oldest call first, crashing frame LAST), so they are
   * reversed here; `event.entries[0].data.values[0].stacktrace.frames` ends with `frames[0]`.
   */
  frames?: FrameInput[];
  breadcrumbs?: {
    timestamp: Date;
    category: string;
    message?: string;
    level?: string;
    type?: string;
    data?: object;
  }[];
  /** The event's `message` (Sentry sends `""` for plain exceptions); also a message entry. */
  message?: string;
}

/** A stack frame as Sentry serves it. */
export interface SentryFrame {
  filename: string;
  absPath: string;
  function: string;
  module: string;
  lineNo: number;
  colNo: number | null;
  inApp: boolean;
  context: [number, string][];
  package: null;
  platform: null;
  instructionAddr: null;
  symbolAddr: null;
  symbol: null;
  trust: null;
  errors: null;
  vars: null;
}

export interface SentryUser {
  id: string | null;
  email: string | null;
  username: string | null;
  name: string | null;
  ip_address: string | null;
  data: Record<string, unknown> | null;
}

export type EventEntry =
  | {
      type: 'exception';
      data: {
        values: {
          type: string;
          value: string;
          module: null;
          threadId: null;
          mechanism: { type: string; handled: boolean };
          stacktrace: {
            frames: SentryFrame[];
            framesOmitted: null;
            registers: null;
            hasSystemFrames: boolean;
          } | null;
          rawStacktrace: null;
        }[];
        excOmitted: null;
        hasSystemFrames: boolean;
      };
    }
  | { type: 'message'; data: { formatted: string } }
  | {
      type: 'breadcrumbs';
      data: {
        values: {
          timestamp: string;
          category: string;
          type: string;
          level: string;
          message: string | null;
          data: object | null;
          event_id: null;
        }[];
      };
    }
  | {
      type: 'request';
      data: {
        url: string;
        method: string;
        headers: [string, string][];
        query: [string, string][];
        fragment: string | null;
        cookies: [string, string][];
        data: null;
        env: null;
        inferredContentType: null;
      };
    };

/** A full error event, as `GET .../events/{id}/` and `.../events/latest/` answer. */
export interface Event {
  id: string;
  eventID: string;
  groupID: string;
  projectID: string;
  title: string;
  message: string;
  culprit: string;
  location: string | null;
  dateCreated: string;
  dateReceived: string;
  platform: 'javascript';
  type: 'error';
  metadata: Issue['metadata'];
  tags: { key: string; value: string }[];
  user: SentryUser | null;
  contexts: Record<string, Record<string, unknown>>;
  context: Record<string, unknown>;
  entries: EventEntry[];
  release: { version: string; shortVersion: string } | null;
  dist: null;
  errors: unknown[];
  fingerprints: string[];
  packages: Record<string, string>;
  sdk: { name: string; version: string };
  size: number;
  userReport: null;
  previousEventID: string | null;
  nextEventID: string | null;
  _meta: Record<string, unknown>;
}

export interface ReplayInput {
  /** 32 hex digits, with or without the dashes of a UUID. */
  id: string;
  /** Defaults to the first project. */
  projectId?: string;
  errorIds: string[];
  traceIds?: string[];
  urls?: string[];
  startedAt: Date;
  finishedAt: Date;
  user?: { id?: string; email?: string };
  /** Defaults to the environment of its first known error event, else null. */
  environment?: string;
}

export interface Fault {
  status: number;
  /** Sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Sent as `X-Sentry-Rate-Limit-Reset` (with `-Remaining: 0`). */
  rateLimitResetEpochSeconds?: number;
  /** The body instead of Sentry's for that status; a string is sent as is (text/html). */
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  /** The path as sent, including `pathPrefix`, without the query string. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

interface StoredEvent {
  issue: Issue;
  at: Date;
  input: EventInput;
  json: Event;
}

/** An answer other than 200, thrown from anywhere in a route. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One term of a search query. `key` null is free text (matched against the title). */
interface Filter {
  negate: boolean;
  key: string | null;
  /** `has:key` checks presence; otherwise the value (a glob, or `[a,b]` alternatives). */
  has: boolean;
  values: string[];
}

type Range = { start?: Date; end?: Date };

const NOT_FOUND = 'The requested resource does not exist';
const RATE_LIMITED =
  'You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds';
const SDK = { name: 'sentry.javascript.browser', version: '8.55.0' };

/** Event-level search keys (also `has:` targets). Their values come from {@link eventValue}. */
const EVENT_KEYS = [
  'user.email',
  'user.id',
  'trace',
  'url',
  'transaction',
  'replayId',
  'id',
  'release',
  'environment',
  'issue',
  'issue.id',
  'project',
  'level',
  'message',
  'title',
] as const;
type EventKey = (typeof EVENT_KEYS)[number];

/** Discover columns and their `meta.fields` types. */
const DISCOVER_FIELDS: Record<string, 'string' | 'integer' | 'date'> = {
  id: 'string',
  'issue.id': 'integer',
  issue: 'string',
  title: 'string',
  timestamp: 'date',
  url: 'string',
  transaction: 'string',
  'user.email': 'string',
  'user.id': 'string',
  trace: 'string',
  replayId: 'string',
  'project.id': 'integer',
  project: 'string',
  release: 'string',
  environment: 'string',
  culprit: 'string',
  level: 'string',
  message: 'string',
};

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

/**
 * Sentry's web API on a local port. GET only:
 *
 * - `/organizations/{org}/eventids/{eventId}/`
 * - `/organizations/{org}/replays/{replayId}/`
 * - `/organizations/{org}/projects/`
 * - `/organizations/{org}/issues/` (query, start/end or statsPeriod, project, limit, sort, cursor)
 * - `/organizations/{org}/issues/{issueId}/`
 * - `/organizations/{org}/issues/{issueId}/events/` (start, end, query, full, cursor)
 * - `/organizations/{org}/issues/{issueId}/events/{eventId|latest|oldest|recommended}/`
 * - `/organizations/{org}/events/` (Discover: field, query, start/end, project, sort, per_page)
 *
 * all under `${pathPrefix}/api/0`, trailing slash optional.
 *
 * Order of play for each request: recorded in `requests`; if down, the connection is reset;
 * a matching `delayNext` waits; the token is checked (401); a matching `failNext` answers;
 * then the route. Every answer carries the `rateLimit` headers when that is set.
 */
export class FakeSentryApi {
  readonly token: string;
  readonly org: string;
  readonly pathPrefix: string;
  readonly requests: RecordedRequest[] = [];
  /**
   * When set, every response carries `X-Sentry-Rate-Limit-Limit/-Remaining/-Reset`; `remaining`
   * is decremented by each request (floored at 0) and the value after that is sent.
   */
  rateLimit: { limit: number; remaining: number; resetEpochSeconds: number } | null = null;

  private readonly projects: SentryProject[] = [];
  private readonly issues: Issue[] = [];
  private readonly events: StoredEvent[] = [];
  private readonly replays = new Map<string, ReplayInput>();
  /** Issues whose permalink is ours (it depends on the port, known only after start). */
  private readonly defaultPermalinks = new Set<Issue>();
  /** Issues whose culprit comes from their first event. */
  private readonly derivedCulprits = new Set<Issue>();
  private readonly shortIdCounters = new Map<string, number>();
  private nextIssueId = 4_500_000_001;
  private faults: { fault: Fault; path?: RegExp }[] = [];
  private delays: { ms: number; path?: RegExp }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private down = false;
  private server?: Server;
  private port = 0;

  constructor(opts: FakeSentryOptions = {}) {
    this.token = opts.token ?? 'sntrys_fake_token_0123456789';
    this.org = opts.org ?? 'acme';
    this.pathPrefix = (opts.pathPrefix ?? '').replace(/\/+$/, '');
    this.addProject({ id: '2', slug: 'web' });
  }

  /** `http://127.0.0.1:PORT` plus the path prefix; the API is at `${baseUrl}/api/0/...`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}${this.pathPrefix}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      // GET requests carry no body; drain whatever comes so the socket is reusable.
      req.resume();
      this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  // --- Seeding ------------------------------------------------------------------------------

  addProject(p: { id: string; slug: string; name?: string; platform?: string }): void {
    if (this.projects.some((x) => x.id === p.id)) throw new Error(`project ${p.id} exists`);
    this.projects.push({
      id: p.id,
      slug: p.slug,
      name: p.name ?? p.slug,
      platform: p.platform ?? 'javascript',
    });
  }

  /**
   * Adds an issue. The project is `partial.project` (looked up by id, else slug) or the first
   * one. Unless given: id (increasing numeric string), shortId `${SLUG}-${n}`, permalink,
   * metadata `{type, value}` from a "Type: value" title (else `{title}`), status 'unresolved',
   * level and type 'error', count '0', userCount 0, firstSeen/lastSeen now; culprit from the
   * first event (its transaction, else its crashing frame). Once the issue has events, count,
   * userCount, firstSeen and lastSeen are derived from them.
   */
  addIssue(partial: Partial<Issue> & { title: string }): Issue {
    const project = partial.project
      ? (this.projects.find((p) => p.id === partial.project!.id) ??
        this.projects.find((p) => p.slug === partial.project!.slug))
      : this.projects[0];
    if (!project) throw new Error(`unknown project ${JSON.stringify(partial.project)}`);
    const n = (this.shortIdCounters.get(project.id) ?? 0) + 1;
    this.shortIdCounters.set(project.id, n);
    const id = partial.id ?? String(this.nextIssueId++);
    if (this.issues.some((i) => i.id === id)) throw new Error(`issue ${id} exists`);
    const now = new Date().toISOString();
    const issue: Issue = {
      annotations: [],
      assignedTo: null,
      count: '0',
      culprit: '',
      firstSeen: now,
      hasSeen: false,
      isBookmarked: false,
      isPublic: false,
      isSubscribed: false,
      isUnhandled: false,
      lastSeen: now,
      level: 'error',
      logger: null,
      metadata: titleMetadata(partial.title),
      numComments: 0,
      permalink: '',
      platform: project.platform,
      shareId: null,
      shortId: `${project.slug.toUpperCase()}-${n}`,
      status: 'unresolved',
      statusDetails: {},
      subscriptionDetails: null,
      substatus: 'ongoing',
      type: 'error',
      userCount: 0,
      ...partial,
      id,
      project,
    };
    if (partial.permalink === undefined) {
      this.defaultPermalinks.add(issue);
      issue.permalink = this.permalink(issue);
    }
    if (partial.culprit === undefined) this.derivedCulprits.add(issue);
    this.issues.push(issue);
    return issue;
  }

  /** Adds an error event to an issue and updates the issue's count, userCount and seen dates. */
  addEvent(issueId: string, e: EventInput): Event {
    const issue = this.issues.find((i) => i.id === issueId);
    if (!issue) throw new Error(`unknown issue ${issueId}`);
    const eventId = hex32(e.eventId) ?? randomUUID().replace(/-/g, '');
    if (this.findEvent(eventId)) throw new Error(`event ${eventId} exists`);
    const frames = [...(e.frames ?? [])].reverse().map((f) => sentryFrame(f, e.url));
    const crashing = frames.at(-1);
    if (this.derivedCulprits.has(issue) && !this.events.some((s) => s.issue === issue)) {
      issue.culprit =
        e.transaction ?? (crashing ? `${crashing.function}(${crashing.filename})` : '');
    }
    const stored: StoredEvent = {
      issue,
      at: e.at,
      input: e,
      json: this.buildEvent(issue, eventId, e, frames),
    };
    this.events.push(stored);
    this.refreshIssue(issue);
    return this.eventJson(stored);
  }

  /** Adds a session replay (`GET /organizations/{org}/replays/{id}/`). */
  addReplay(r: ReplayInput): void {
    const id = hex32(r.id);
    if (!id) throw new Error(`replay id ${r.id} is not 32 hex digits`);
    this.replays.set(id, { ...r, id });
  }

  // --- Faults -------------------------------------------------------------------------------

  /**
   * The next `times` requests (matching `match.path`, tested against the path as sent) answer
   * with `fault` (after the token check). A 429 carries Sentry's "too frequently" body.
   */
  failNext(times: number, fault: Fault, match: { path?: RegExp } = {}): void {
    for (let i = 0; i < times; i++) this.faults.push({ fault, path: match.path });
  }

  /** The next `times` matching requests are answered only after `ms` (to test client timeouts). */
  delayNext(times: number, ms: number, match: { path?: RegExp } = {}): void {
    for (let i = 0; i < times; i++) this.delays.push({ ms, path: match.path });
  }

  /** While down, every request's connection is reset without an answer (fetch rejects). */
  setDown(down: boolean): void {
    this.down = down;
  }

  // --- Request handling ---------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const headers = this.rateLimitHeaders();

    const delay = takeMatching(this.delays, url.pathname);
    if (delay) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, delay.ms);
        this.timers.add(timer);
      });
      if (res.destroyed || this.down) return void req.socket.destroy();
    }

    let reply: Reply;
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      reply = { status: 401, body: { detail: 'Invalid token' } };
    } else if (method !== 'GET') {
      reply = { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    } else {
      const fault = takeMatching(this.faults, url.pathname)?.fault;
      reply = fault ? faultReply(fault) : this.answer(url);
    }
    this.send(res, reply, headers);
  }

  /** The route's reply, or Sentry's `{detail}` body for a refused request. */
  private answer(url: URL): Reply {
    try {
      return this.route(url);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return { status: err.status, body: { detail: err.detail } };
    }
  }

  private route(url: URL): Reply {
    const root = `${this.pathPrefix}/api/0/`;
    if (!url.pathname.startsWith(root)) throw new HttpError(404, NOT_FOUND);
    const parts = url.pathname
      .slice(root.length)
      .split('/')
      .filter((p) => p.length > 0)
      .map((p) => decodeURIComponent(p));
    const q = url.searchParams;
    if (parts[0] !== 'organizations' || parts.length < 3) throw new HttpError(404, NOT_FOUND);
    if (parts[1] !== this.org) throw new HttpError(404, NOT_FOUND);
    const [, , resource, id, sub, subId, ...extra] = parts;
    if (extra.length > 0) throw new HttpError(404, NOT_FOUND);

    if (resource === 'projects' && !id) return { status: 200, body: this.projects.map(project) };
    if (resource === 'eventids' && id && !sub) return this.eventIdLookup(id);
    if (resource === 'replays' && id && !sub) return this.replay(id);
    if (resource === 'events' && !id) return this.discover(url);
    if (resource === 'issues') {
      if (!id) return this.listIssues(url);
      // Like Sentry, an organization's issue endpoints take the qualified short id (WEB-12) too.
      const issue = this.issues.find((i) => i.id === id || i.shortId === id);
      if (!issue) throw new HttpError(404, NOT_FOUND);
      if (!sub) return { status: 200, body: this.issueDetail(issue) };
      if (sub === 'events' && !subId) return this.listIssueEvents(issue, url);
      if (sub === 'events' && subId) return { status: 200, body: this.issueEvent(issue, subId, q) };
    }
    throw new HttpError(404, NOT_FOUND);
  }

  // --- Routes -------------------------------------------------------------------------------

  /** `GET /organizations/{org}/eventids/{eventId}/` */
  private eventIdLookup(rawId: string): Reply {
    const stored = this.findEvent(hex32(rawId) ?? '');
    if (!stored) throw new HttpError(404, NOT_FOUND);
    return {
      status: 200,
      body: {
        organizationSlug: this.org,
        projectSlug: stored.issue.project.slug,
        groupId: stored.issue.id,
        eventId: stored.json.eventID,
        event: this.eventJson(stored),
      },
    };
  }

  /** `GET /organizations/{org}/replays/{replayId}/`: Sentry's snake_case replay details. */
  private replay(rawId: string): Reply {
    const r = this.replays.get(hex32(rawId) ?? '');
    if (!r) throw new HttpError(404, NOT_FOUND);
    const errorIds = r.errorIds.map((e) => hex32(e) ?? e);
    const environment =
      r.environment ??
      errorIds.map((e) => this.findEvent(e)?.input.environment).find((e) => e) ??
      null;
    const urls = r.urls ?? [];
    const display = r.user?.email ?? r.user?.id ?? '';
    return {
      status: 200,
      body: {
        data: {
          id: r.id,
          project_id: r.projectId ?? this.projects[0].id,
          trace_ids: r.traceIds ?? [],
          error_ids: errorIds,
          environment,
          tags: {},
          user: {
            id: r.user?.id ?? null,
            username: null,
            email: r.user?.email ?? null,
            ip: null,
            display_name: display,
          },
          sdk: SDK,
          os: { name: null, version: null },
          browser: { name: null, version: null },
          device: { name: null, brand: null, model: null, family: null },
          ota_updates: { channel: null, runtime_version: null, update_id: null },
          is_archived: false,
          urls,
          clicks: [],
          count_dead_clicks: 0,
          count_rage_clicks: 0,
          count_errors: errorIds.length,
          duration: Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000),
          finished_at: r.finishedAt.toISOString(),
          started_at: r.startedAt.toISOString(),
          activity: Math.min(10, 1 + errorIds.length),
          count_urls: urls.length,
          replay_type: 'session',
          count_segments: Math.max(
            1,
            Math.ceil((r.finishedAt.getTime() - r.startedAt.getTime()) / 5000),
          ),
          platform: 'javascript',
          releases: [],
          dist: null,
          count_warnings: 0,
          count_infos: 0,
          has_viewed: false,
        },
      },
    };
  }

  /** `GET /organizations/{org}/issues/` */
  private listIssues(url: URL): Reply {
    const q = url.searchParams;
    const range = parseRange(q);
    const projects = this.projectFilter(q);
    const filters = parseQuery(q.get('query') ?? '');
    const eventFilters = filters.filter((f) => !isIssueLevel(f));
    const issueFilters = filters.filter(isIssueLevel);
    const hasRange = range.start !== undefined || range.end !== undefined;
    const sort = q.get('sort') ?? 'date';
    if (!['date', 'freq', 'new', 'user'].includes(sort)) {
      throw new HttpError(400, `Invalid sort: ${sort}`);
    }
    const limit = clampInt(q.get('limit'), 25, 100);

    const rows: Issue[] = [];
    for (const issue of this.issues) {
      if (projects && !projects.has(issue.project.id)) continue;
      if (!issueFilters.every((f) => this.matches(f, issue, null))) continue;
      const all = this.eventsOf(issue);
      const inRange = all.filter((s) => inside(s.at, range));
      // One event must satisfy the range and every event-level filter at once.
      const filtered = inRange.filter((s) => eventFilters.every((f) => this.matches(f, issue, s)));
      if ((hasRange || eventFilters.length > 0) && filtered.length === 0) continue;
      // Like Sentry, count/userCount/firstSeen/lastSeen cover the period asked for; `lifetime`
      // covers all events and `filtered` the events matching the query (null without one).
      rows.push({
        ...this.issueJson(issue),
        ...(hasRange ? seenStats(inRange) : {}),
        lifetime: { ...seenStats(all), stats: null },
        filtered: eventFilters.length > 0 ? { ...seenStats(filtered), stats: null } : null,
      } as Issue);
    }
    const key: Record<string, (i: Issue) => number> = {
      date: (i) => Date.parse(i.lastSeen),
      new: (i) => Date.parse(i.firstSeen),
      freq: (i) => Number(i.count),
      user: (i) => i.userCount,
    };
    rows.sort((a, b) => key[sort](b) - key[sort](a) || Number(b.id) - Number(a.id));
    return this.paginate(rows, limit, url);
  }

  /** `GET /organizations/{org}/issues/{issueId}/` */
  private issueDetail(issue: Issue): Record<string, unknown> {
    const released = this.eventsOf(issue).filter((s) => s.input.release);
    const version = (s?: StoredEvent) => (s ? { version: s.input.release! } : null);
    return {
      ...this.issueJson(issue),
      firstRelease: version(released[0]),
      lastRelease: version(released.at(-1)),
      activity: [],
      seenBy: [],
      participants: [],
      pluginActions: [],
      pluginContexts: [],
      pluginIssues: [],
      userReportCount: 0,
    };
  }

  /** `GET /organizations/{org}/issues/{issueId}/events/`, newest first. */
  private listIssueEvents(issue: Issue, url: URL): Reply {
    const q = url.searchParams;
    const range = parseRange(q);
    const filters = parseQuery(q.get('query') ?? '');
    const full = q.get('full') === 'true' || q.get('full') === '1';
    const rows = this.eventsOf(issue)
      .filter((s) => inside(s.at, range) && filters.every((f) => this.matches(f, issue, s)))
      .reverse()
      .map((s) => (full ? this.eventJson(s) : shortEvent(s.json)));
    return this.paginate(rows, clampInt(q.get('per_page'), 100, 100), url);
  }

  /** `GET /organizations/{org}/issues/{issueId}/events/{eventId|latest|oldest|recommended}/` */
  private issueEvent(issue: Issue, idOrAlias: string, q: URLSearchParams): Event {
    const range = parseRange(q);
    const events = this.eventsOf(issue).filter((s) => inside(s.at, range));
    const stored =
      idOrAlias === 'latest' || idOrAlias === 'recommended'
        ? events.at(-1)
        : idOrAlias === 'oldest'
          ? events[0]
          : events.find((s) => s.json.eventID === hex32(idOrAlias));
    if (!stored) throw new HttpError(404, NOT_FOUND);
    return this.eventJson(stored);
  }

  /** `GET /organizations/{org}/events/`: Discover over error events. */
  private discover(url: URL): Reply {
    const q = url.searchParams;
    const dataset = q.get('dataset');
    if (dataset && !['errors', 'discover'].includes(dataset)) {
      throw new HttpError(400, `Invalid dataset: ${dataset}`);
    }
    const fields = q.getAll('field');
    if (fields.length === 0) throw new HttpError(400, 'No columns selected');
    for (const f of fields) {
      if (!(f in DISCOVER_FIELDS)) throw new HttpError(400, `Invalid query. Unknown field: ${f}`);
    }
    const sorts = q.getAll('sort');
    for (const s of sorts) {
      if (!fields.includes(s.replace(/^-/, ''))) {
        throw new HttpError(400, 'Cannot sort by a field that is not selected.');
      }
    }
    const range = parseRange(q);
    const projects = this.projectFilter(q);
    const filters = parseQuery(q.get('query') ?? '');
    const matching = this.events.filter(
      (s) =>
        (!projects || projects.has(s.issue.project.id)) &&
        inside(s.at, range) &&
        filters.every((f) => this.matches(f, s.issue, s)),
    );
    const rows = matching.map((s) =>
      Object.fromEntries(fields.map((f) => [f, discoverValue(f, s)])),
    );
    const order = sorts.length > 0 ? sorts : fields.includes('timestamp') ? ['-timestamp'] : [];
    const byTime = new Map(rows.map((r, i) => [r, matching[i].at.getTime()]));
    rows.sort((a, b) => {
      for (const s of order) {
        const field = s.replace(/^-/, '');
        const sign = s.startsWith('-') ? -1 : 1;
        const c = compare(a[field], b[field]);
        if (c !== 0) return sign * c;
      }
      return byTime.get(b)! - byTime.get(a)!;
    });
    const meta = { fields: Object.fromEntries(fields.map((f) => [f, DISCOVER_FIELDS[f]])) };
    const page = this.paginate(rows, clampInt(q.get('per_page'), 50, 100), url);
    return { ...page, body: { data: page.body, meta } };
  }

  // --- Search -------------------------------------------------------------------------------

  /** Whether one filter holds for an issue, or for one of its events when `stored` is given. */
  private matches(f: Filter, issue: Issue, stored: StoredEvent | null): boolean {
    let ok: boolean;
    if (f.key === null) {
      ok = issue.title.toLowerCase().includes(f.values[0].toLowerCase());
    } else if (f.key === 'is') {
      const wanted = f.values.map((v) => (v === 'archived' ? 'ignored' : v));
      ok = wanted.includes(issue.status);
    } else {
      const value = stored ? eventValue(f.key as EventKey, stored) : null;
      ok = f.has
        ? value !== null && value !== ''
        : value !== null && f.values.some((v) => globMatch(v, value, f.key!));
    }
    return f.negate ? !ok : ok;
  }

  // --- Serialization ------------------------------------------------------------------------

  private issueJson(issue: Issue): Issue & { stats: Record<string, [number, number][]> } {
    return {
      ...issue,
      permalink: this.defaultPermalinks.has(issue) ? this.permalink(issue) : issue.permalink,
      stats: { '24h': hourly(this.eventsOf(issue)) },
    };
  }

  private eventJson(stored: StoredEvent): Event {
    const siblings = this.eventsOf(stored.issue);
    const i = siblings.indexOf(stored);
    return {
      ...stored.json,
      culprit: stored.issue.culprit,
      previousEventID: siblings[i - 1]?.json.eventID ?? null,
      nextEventID: siblings[i + 1]?.json.eventID ?? null,
    };
  }

  private buildEvent(issue: Issue, eventId: string, e: EventInput, frames: SentryFrame[]): Event {
    const replayId = e.replayId ? (hex32(e.replayId) ?? e.replayId) : undefined;
    const traceId = hex32(e.traceId) ?? randomUUID().replace(/-/g, '');
    const userTag = e.user?.id ? `id:${e.user.id}` : e.user?.email ? `email:${e.user.email}` : '';
    const tags = Object.entries({
      environment: e.environment,
      handled: 'yes',
      level: issue.level,
      mechanism: 'generic',
      release: e.release,
      replayId,
      transaction: e.transaction,
      url: e.url,
      user: userTag,
    })
      .filter((t): t is [string, string] => typeof t[1] === 'string' && t[1] !== '')
      .map(([key, value]) => ({ key, value }))
      .sort((a, b) => a.key.localeCompare(b.key));

    const entries: EventEntry[] = [
      {
        type: 'exception',
        data: {
          values: [
            {
              type: issue.metadata.type ?? 'Error',
              value: issue.metadata.value ?? issue.title,
              module: null,
              threadId: null,
              mechanism: { type: 'generic', handled: true },
              stacktrace: frames.length
                ? {
                    frames,
                    framesOmitted: null,
                    registers: null,
                    hasSystemFrames: frames.some((f) => !f.inApp),
                  }
                : null,
              rawStacktrace: null,
            },
          ],
          excOmitted: null,
          hasSystemFrames: frames.some((f) => !f.inApp),
        },
      },
    ];
    if (e.message) entries.push({ type: 'message', data: { formatted: e.message } });
    if (e.breadcrumbs?.length) {
      entries.push({
        type: 'breadcrumbs',
        data: {
          values: e.breadcrumbs.map((b) => ({
            timestamp: b.timestamp.toISOString(),
            category: b.category,
            type: b.type ?? 'default',
            level: b.level ?? 'info',
            message: b.message ?? null,
            data: b.data ?? null,
            event_id: null,
          })),
        },
      });
    }
    if (e.url) {
      const page = new URL(e.url);
      entries.push({
        type: 'request',
        data: {
          url: `${page.origin}${page.pathname}`,
          method: 'GET',
          headers: [],
          query: [...page.searchParams.entries()],
          fragment: page.hash ? page.hash.slice(1) : null,
          cookies: [],
          data: null,
          env: null,
          inferredContentType: null,
        },
      });
    }

    const contexts: Event['contexts'] = {
      trace: { trace_id: traceId, span_id: randomBytes(8).toString('hex'), type: 'trace' },
    };
    if (replayId) contexts.replay = { replay_id: replayId, type: 'replay' };

    return {
      id: eventId,
      eventID: eventId,
      groupID: issue.id,
      projectID: issue.project.id,
      title: issue.title,
      message: e.message ?? '',
      culprit: issue.culprit,
      location: frames.at(-1)?.filename ?? null,
      dateCreated: e.at.toISOString(),
      dateReceived: new Date(e.at.getTime() + 300).toISOString(),
      platform: 'javascript',
      type: 'error',
      metadata: { ...issue.metadata },
      tags,
      user: e.user
        ? {
            id: e.user.id ?? null,
            email: e.user.email ?? null,
            username: null,
            name: null,
            ip_address: null,
            data: null,
          }
        : null,
      contexts,
      context: {},
      entries,
      release: e.release ? { version: e.release, shortVersion: e.release } : null,
      dist: null,
      errors: [],
      fingerprints: ['{{ default }}'],
      packages: {},
      sdk: SDK,
      size: 4096,
      userReport: null,
      previousEventID: null,
      nextEventID: null,
      _meta: { user: null, context: null, entries: {}, contexts: null, message: null, tags: {} },
    };
  }

  // --- Helpers ------------------------------------------------------------------------------

  private permalink(issue: Issue): string {
    return `${this.baseUrl}/organizations/${this.org}/issues/${issue.id}/`;
  }

  /** The issue's events, oldest first. */
  private eventsOf(issue: Issue): StoredEvent[] {
    return this.events
      .filter((s) => s.issue === issue)
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  private findEvent(eventId: string): StoredEvent | undefined {
    return this.events.find((s) => s.json.eventID === eventId);
  }

  private refreshIssue(issue: Issue): void {
    Object.assign(issue, seenStats(this.eventsOf(issue)));
  }

  /** The `project` params as a set of ids, or null for all (absent or `-1`). */
  private projectFilter(q: URLSearchParams): Set<string> | null {
    const ids = q.getAll('project');
    if (ids.length === 0 || ids.includes('-1')) return null;
    if (!ids.every((id) => /^\d+$/.test(id))) {
      throw new HttpError(400, 'Invalid project parameter. Values must be numbers.');
    }
    if (!ids.every((id) => this.projects.some((p) => p.id === id))) {
      throw new HttpError(403, 'You do not have permission to perform this action.');
    }
    return new Set(ids);
  }

  /** One page (offset = the middle number of `cursor`) plus Sentry's `Link` header. */
  private paginate<T>(rows: T[], limit: number, url: URL): Reply & { body: T[] } {
    const cursor = url.searchParams.get('cursor');
    let offset = 0;
    if (cursor) {
      const m = /^[^:]*:(\d+):[01]$/.exec(cursor);
      if (!m) throw new HttpError(400, 'Invalid cursor parameter.');
      offset = Number(m[1]);
    }
    const page = rows.slice(offset, offset + limit);
    const link = (rel: string, results: boolean, c: string) => {
      const params = new URLSearchParams(url.searchParams);
      params.set('cursor', c);
      const href = `http://127.0.0.1:${this.port}${url.pathname}?${params.toString()}`;
      return `<${href}>; rel="${rel}"; results="${results}"; cursor="${c}"`;
    };
    const previous = link('previous', offset > 0, `0:${Math.max(offset - limit, 0)}:1`);
    const next = link('next', offset + limit < rows.length, `0:${offset + limit}:0`);
    return { status: 200, body: page, headers: { Link: `${previous}, ${next}` } };
  }

  private rateLimitHeaders(): Record<string, string> {
    const rl = this.rateLimit;
    if (!rl) return {};
    rl.remaining = Math.max(0, rl.remaining - 1);
    return {
      'X-Sentry-Rate-Limit-Limit': String(rl.limit),
      'X-Sentry-Rate-Limit-Remaining': String(rl.remaining),
      'X-Sentry-Rate-Limit-Reset': String(rl.resetEpochSeconds),
    };
  }

  private send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
    if (res.destroyed) return;
    const text = typeof reply.body === 'string';
    res.writeHead(reply.status, {
      'Content-Type': text ? 'text/html; charset=utf-8' : 'application/json',
      ...headers,
      ...reply.headers,
    });
    res.end(text ? reply.body : JSON.stringify(reply.body));
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

/** A scripted fault's answer: Sentry's body for that status unless the fault gives one. */
function faultReply(fault: Fault): Reply {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(fault.retryAfterSeconds);
  }
  if (fault.rateLimitResetEpochSeconds !== undefined) {
    headers['X-Sentry-Rate-Limit-Remaining'] = '0';
    headers['X-Sentry-Rate-Limit-Reset'] = String(fault.rateLimitResetEpochSeconds);
  }
  const details: Record<number, string> = {
    400: 'Invalid request',
    403: 'You do not have permission to perform this action.',
    404: NOT_FOUND,
    429: RATE_LIMITED,
    500: 'Internal Error',
  };
  const body = fault.body ?? { detail: details[fault.status] ?? 'Internal Error' };
  return { status: fault.status, body, headers };
}

/** Removes and returns the first entry whose `path` matches (or that has none). */
function takeMatching<T extends { path?: RegExp }>(list: T[], path: string): T | undefined {
  const i = list.findIndex((x) => !x.path || x.path.test(path));
  return i >= 0 ? list.splice(i, 1)[0] : undefined;
}

/** An id of 32 hex digits, lowercased and without dashes; undefined when it is not one. */
function hex32(id: string | undefined): string | undefined {
  const clean = id?.replace(/-/g, '').toLowerCase();
  return clean && /^[0-9a-f]{32}$/.test(clean) ? clean : undefined;
}

/** Sentry's metadata for an error title "Type: value"; `{title}` for anything else. */
function titleMetadata(title: string): Issue['metadata'] {
  const m = /^([\w$.]+): ([\s\S]*)$/.exec(title);
  return m ? { type: m[1], value: m[2] } : { title };
}

function sentryFrame(f: FrameInput, pageUrl: string | undefined): SentryFrame {
  let filename = f.filename;
  let absPath: string;
  if (/^[a-z]+:\/\//i.test(f.filename)) {
    absPath = f.filename;
    filename = new URL(f.filename).pathname;
  } else {
    const path = f.filename.replace(/^\.?\//, '/');
    absPath = pageUrl ? `${new URL(pageUrl).origin}${path}` : `app://${path}`;
  }
  return {
    filename,
    absPath,
    function: f.function,
    module: filename.replace(/^\.?\/+/, '').replace(/\.[^/.]+$/, ''),
    lineNo: f.lineNo,
    colNo: f.colNo ?? null,
    inApp: f.inApp,
    context: [],
    package: null,
    platform: null,
    instructionAddr: null,
    symbolAddr: null,
    symbol: null,
    trust: null,
    errors: null,
    vars: null,
  };
}

/** The list shape of `GET .../issues/{id}/events/` without `full=true`. */
function shortEvent(e: Event): Record<string, unknown> {
  return {
    id: e.id,
    eventID: e.eventID,
    groupID: e.groupID,
    projectID: e.projectID,
    title: e.title,
    message: e.message,
    culprit: e.culprit,
    location: e.location,
    dateCreated: e.dateCreated,
    user: e.user,
    tags: e.tags,
    platform: e.platform,
    'event.type': e.type,
    crashFile: null,
  };
}

function project(p: SentryProject): Record<string, unknown> {
  return { id: p.id, slug: p.slug, name: p.name, platform: p.platform };
}

/** count (a string), userCount (distinct users), firstSeen, lastSeen of some events. */
function seenStats(
  events: StoredEvent[],
): Pick<Issue, 'count' | 'userCount'> & Partial<Pick<Issue, 'firstSeen' | 'lastSeen'>> {
  const users = new Set(
    events.map((s) => s.input.user?.id ?? s.input.user?.email).filter((u) => u !== undefined),
  );
  const times = events.map((s) => s.at.getTime());
  return {
    count: String(events.length),
    userCount: users.size,
    ...(times.length
      ? {
          firstSeen: new Date(Math.min(...times)).toISOString(),
          lastSeen: new Date(Math.max(...times)).toISOString(),
        }
      : {}),
  };
}

/** Sentry's `stats['24h']`: 24 hourly buckets `[epochSeconds, count]` up to the current hour. */
function hourly(events: StoredEvent[]): [number, number][] {
  const hour = 3600_000;
  const last = Math.floor(Date.now() / hour) * hour;
  return Array.from({ length: 24 }, (_, i) => {
    const from = last - (23 - i) * hour;
    const n = events.filter((s) => s.at.getTime() >= from && s.at.getTime() < from + hour).length;
    return [from / 1000, n];
  });
}

/** A search key's value on one event (null when the event has none). */
function eventValue(key: EventKey, s: StoredEvent): string | null {
  const e = s.input;
  switch (key) {
    case 'user.email':
      return e.user?.email ?? null;
    case 'user.id':
      return e.user?.id ?? null;
    case 'trace':
      return s.json.contexts.trace.trace_id as string;
    case 'url':
      return e.url ?? null;
    case 'transaction':
      return e.transaction ?? null;
    case 'replayId':
      return (s.json.contexts.replay?.replay_id as string | undefined) ?? null;
    case 'id':
      return s.json.eventID;
    case 'release':
      return e.release ?? null;
    case 'environment':
      return e.environment ?? null;
    case 'issue':
      return s.issue.shortId;
    case 'issue.id':
      return s.issue.id;
    case 'project':
      return s.issue.project.slug;
    case 'level':
      return s.issue.level;
    case 'message':
      return e.message ?? s.issue.title;
    case 'title':
      return s.issue.title;
  }
}

/** A Discover column's value: numbers for the integer columns, null when absent. */
function discoverValue(field: string, s: StoredEvent): string | number | null {
  switch (field) {
    case 'issue.id':
      return Number(s.issue.id);
    case 'project.id':
      return Number(s.issue.project.id);
    case 'timestamp':
      // Discover's format: seconds precision with an explicit offset.
      return s.at.toISOString().replace(/\.\d+Z$/, '+00:00');
    case 'culprit':
      return s.issue.culprit;
    default:
      return eventValue(field as EventKey, s);
  }
}

/**
 * Parses Sentry's search syntax (the subset the fake knows): whitespace-separated terms, ANDed;
 * `key:value`, `key:"quoted value"`, `key:[a,b]`, `!key:value`, `has:key`, `is:unresolved`,
 * and free text (a word or a quoted phrase) matched as a substring of the title.
 */
function parseQuery(query: string): Filter[] {
  const filters: Filter[] = [];
  const term = /(!?)(?:([\w.]+):)?(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (const m of query.matchAll(term)) {
    const negate = m[1] === '!';
    const key = m[2] ?? null;
    const raw = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4];
    if (key === null) {
      filters.push({ negate, key: null, has: false, values: [raw] });
    } else if (key === 'has') {
      if (!(EVENT_KEYS as readonly string[]).includes(raw)) {
        throw new HttpError(400, `Invalid search query: unknown key "${raw}"`);
      }
      filters.push({ negate, key: raw, has: true, values: [] });
    } else if (key === 'is') {
      if (!['unresolved', 'resolved', 'ignored', 'archived'].includes(raw)) {
        throw new HttpError(400, `Invalid search query: invalid value "${raw}" for "is:"`);
      }
      filters.push({ negate, key, has: false, values: [raw] });
    } else if ((EVENT_KEYS as readonly string[]).includes(key)) {
      const list = m[3] === undefined ? /^\[(.*)\]$/.exec(raw) : null;
      const values = list ? list[1].split(',').map((v) => v.trim().replace(/^"|"$/g, '')) : [raw];
      filters.push({ negate, key, has: false, values });
    } else {
      throw new HttpError(400, `Invalid search query: unknown key "${key}"`);
    }
  }
  return filters;
}

/** Filters answered by the issue itself rather than by one of its events. */
function isIssueLevel(f: Filter): boolean {
  return f.key === null || f.key === 'is';
}

/** Case-insensitive glob (`*` = anything); ids compare without dashes. */
function globMatch(pattern: string, value: string, key: string): boolean {
  const norm = (v: string) => (['id', 'trace', 'replayId'].includes(key) ? v.replace(/-/g, '') : v);
  const source = norm(pattern)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(norm(value));
}

/** `start`/`end` (ISO 8601, both required together) or `statsPeriod` (e.g. `14d`, `24h`). */
function parseRange(q: URLSearchParams): Range {
  const period = q.get('statsPeriod');
  if (period) {
    const m = /^(\d+)([smhdw])$/.exec(period);
    if (!m) throw new HttpError(400, `Invalid statsPeriod: ${period}`);
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's'];
    const end = new Date();
    return { start: new Date(end.getTime() - Number(m[1]) * unit * 1000), end };
  }
  const start = q.get('start');
  const end = q.get('end');
  if (!start && !end) return {};
  if (!start || !end) throw new HttpError(400, 'start and end are both required');
  const range = { start: new Date(start), end: new Date(end) };
  if (Number.isNaN(range.start.getTime()) || Number.isNaN(range.end.getTime())) {
    throw new HttpError(400, `${start} or ${end} is not a valid ISO8601 date query`);
  }
  return range;
}

function inside(at: Date, range: Range): boolean {
  return (!range.start || at >= range.start) && (!range.end || at <= range.end);
}

function clampInt(raw: string | null, fallback: number, max: number): number {
  const n = raw === null ? fallback : Number.parseInt(raw, 10);
  if (Number.isNaN(n) || n < 1) throw new HttpError(400, `Invalid page size: ${raw}`);
  return Math.min(n, max);
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : `${a}`.localeCompare(`${b}`);
}
