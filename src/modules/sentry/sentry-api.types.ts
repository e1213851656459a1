/**
 * The parts of Sentry's web API responses that matching reads. Sentry sends more; fields are
 * optional where Sentry omits them for some platforms or older self-hosted versions.
 */

export interface SentryProject {
  id: string;
  slug: string;
  name?: string;
}

/** `GET /organizations/{org}/issues/` items and `GET /organizations/{org}/issues/{id}/`. */
export interface SentryIssue {
  id: string;
  shortId: string;
  title: string;
  culprit?: string | null;
  permalink: string;
  /** Sentry sends the event count as a string. */
  count?: string | number;
  userCount?: number;
  firstSeen?: string | null;
  lastSeen?: string | null;
  level?: string;
  status?: string;
  metadata?: { type?: string; value?: string; title?: string; filename?: string };
  project?: { id: string; slug: string; name?: string };
  firstRelease?: { version: string } | null;
  lastRelease?: { version: string } | null;
}

export interface SentryFrame {
  filename?: string | null;
  absPath?: string | null;
  module?: string | null;
  function?: string | null;
  lineNo?: number | null;
  colNo?: number | null;
  inApp?: boolean | null;
}

export interface SentryBreadcrumb {
  timestamp?: string | number | null;
  category?: string | null;
  type?: string | null;
  level?: string | null;
  message?: string | null;
  data?: Record<string, unknown> | null;
}

export type SentryEntry =
  | {
      type: 'exception';
      data: {
        values?: {
          type?: string | null;
          value?: string | null;
          stacktrace?: { frames?: SentryFrame[] | null } | null;
        }[];
      };
    }
  | { type: 'breadcrumbs'; data: { values?: SentryBreadcrumb[] } }
  | { type: 'request'; data: { url?: string | null; method?: string | null } }
  | { type: string; data: unknown };

/** A full event (`.../events/{id}/`, `.../events/latest/`, `eventids` resolution). */
export interface SentryEvent {
  id?: string;
  eventID: string;
  groupID?: string | null;
  title?: string;
  message?: string;
  dateCreated?: string;
  culprit?: string | null;
  platform?: string;
  tags?: { key: string; value: string }[];
  user?: { id?: string | null; email?: string | null } | null;
  contexts?: {
    trace?: { trace_id?: string } | null;
    replay?: { replay_id?: string } | null;
  } & Record<string, unknown>;
  entries?: SentryEntry[];
  release?: { version: string } | null;
}

/** `GET /organizations/{org}/eventids/{event_id}/`. */
export interface SentryEventIdResolution {
  organizationSlug: string;
  projectSlug: string;
  groupId: string;
  eventId: string;
  event?: SentryEvent;
}

/** `GET /organizations/{org}/replays/{id}/` → `{ data }`, snake_case as Sentry sends it. */
export interface SentryReplay {
  id: string;
  project_id?: string;
  error_ids?: string[];
  trace_ids?: string[];
  urls?: string[];
  started_at?: string | null;
  finished_at?: string | null;
  user?: { id?: string | null; email?: string | null } | null;
}

/** A Discover (`GET /organizations/{org}/events/`) row with the fields matching asks for. */
export interface SentryEventRow {
  id: string;
  'issue.id'?: number | string | null;
  issue?: string | null;
  title?: string | null;
  timestamp?: string | null;
  url?: string | null;
  transaction?: string | null;
  'user.email'?: string | null;
  'user.id'?: string | null;
  trace?: string | null;
  replayId?: string | null;
}
