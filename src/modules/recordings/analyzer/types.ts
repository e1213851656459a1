/**
 * The analyzer's output and the custom rrweb events Repro's widget emits. Other tools read
 * this shape (`repro analyze --json`), so fields are only ever added, never renamed.
 */

/** `rrweb` custom event (type 5) tag: the page's URL changed without a page load. */
export const NAVIGATION_EVENT_TAG = 'repro/navigation';
/** `rrweb` custom event (type 5) tag: a network request finished (or failed to). */
export const NETWORK_EVENT_TAG = 'repro/network';

export interface NavigationEventPayload {
  /** The new absolute URL. */
  href: string;
  /** What changed it; 'load' and 'reload' come from the Navigation Timing API on page load. */
  trigger?: 'pushState' | 'replaceState' | 'popstate' | 'hashchange' | 'load' | 'reload';
}

export interface NetworkEventPayload {
  method: string;
  /** Absolute or relative URL; the analyzer drops any query string or fragment. */
  url: string;
  /** HTTP status; 0 when the request never got a response (network error, CORS, abort). */
  status: number;
  durationMs: number;
  /** For status 0: why, e.g. "Failed to fetch", "timeout", "aborted". */
  error?: string;
}

export interface ElementRef {
  /** rrweb node id. */
  id: number;
  tag: string;
  /** button, link, textbox, checkbox, radio, combobox, image, element… */
  role: string;
  /** Accessible name as a person reads it; null when the element has none we can see. */
  name: string | null;
  /** A short CSS path, for engineers. */
  selector: string;
  /** For links. */
  href?: string;
}

export type TimelineKind =
  | 'navigation'
  | 'reload'
  | 'click'
  | 'input'
  | 'scroll'
  | 'viewport'
  | 'error'
  | 'request'
  | 'signal';

export interface TimelineEntry {
  /** Milliseconds from the start of the recording. */
  t: number;
  kind: TimelineKind;
  text: string;
  target?: ElementRef;
  url?: string;
}

export interface Step {
  /** 1-based. */
  n: number;
  /** When the step began, in ms from the start. */
  t: number;
  text: string;
  /** How many raw actions it stands for (5 for "Clicked … 5 times"). */
  count: number;
  target?: ElementRef;
  url?: string;
}

export type ErrorLevel = 'error' | 'warn';

export interface RecordedError {
  t: number;
  level: ErrorLevel;
  message: string;
  /** True for uncaught exceptions and unhandled promise rejections. */
  uncaught: boolean;
  /** Stack frames as the browser printed them, top first. */
  stack: string[];
  url: string | null;
}

export interface FailedRequest {
  t: number;
  method: string;
  /** Without query string or fragment. */
  url: string;
  /** 0 when no response arrived. */
  status: number;
  durationMs: number;
  error?: string;
}

export type SignalKind = 'rage_click' | 'dead_click' | 'error_burst' | 'reload' | 'viewport';

export interface Signal {
  kind: SignalKind;
  t: number;
  /** Who or what: the clicked element's description, the URL reloaded, the new size. */
  target: string | null;
  text: string;
  count?: number;
}

export interface Failure {
  t: number;
  url: string | null;
  /**
   * What marks the moment. 'end' only in analyses stored before a recording where nothing
   * failed got no moment of failure at all.
   */
  reason: 'error' | 'failed_request' | 'signal' | 'end';
  text: string;
}

export interface Environment {
  userAgent: string | null;
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  device: string | null;
  viewport: { width: number; height: number } | null;
  locale: string | null;
  timezone: string | null;
}

export interface Uninterpreted {
  what: string;
  count: number;
  /** First occurrence, ms from the start, when known. */
  t?: number;
}

export interface RecordingAnalysis {
  /** Bump when the meaning of a field changes. */
  version: 1;
  /**
   * When the first event was recorded, epoch ms by the customer's clock; null for an empty
   * recording. Absent from analyses stored before it was added.
   */
  startedAt?: number | null;
  startUrl: string | null;
  timeline: TimelineEntry[];
  steps: Step[];
  errors: RecordedError[];
  failedRequests: FailedRequest[];
  signals: Signal[];
  failure: Failure | null;
  environment: Environment;
  uninterpreted: Uninterpreted[];
  stats: { events: number; bytes: number; ms: number };
}

/** What the report itself knows about the client, to fill in the environment. */
export interface AnalyzerContext {
  userAgent?: string | null;
  viewport?: { width: number; height: number } | null;
  locale?: string | null;
  timezone?: string | null;
  /** Size of the recording as received, for stats. */
  bytes?: number;
}
