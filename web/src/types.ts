/** The JSON the app reads, as the API documents it (issue 17's contract). */

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  role: 'admin' | 'member';
}

export interface ProjectRef {
  id: string;
  slug: string;
  name: string;
}

export interface Session {
  user: SessionUser;
  csrfToken: string;
  projects: ProjectRef[];
  expiresAt: string;
}

export interface Person {
  name: string | null;
  email: string | null;
}

export interface AccountRef {
  id: string;
  name: string | null;
  tier: string | null;
}

export interface TicketRef {
  key: string;
  url: string;
  relation: string;
}

export interface ReportListItem {
  id: string;
  status: string;
  source: string;
  title: string;
  excerpt: string;
  reporter: Person | null;
  account: AccountRef | null;
  createdAt: string;
  ticket: TicketRef | null;
  needsPerson: boolean;
  reasons: string[];
}

export interface ReportList {
  items: ReportListItem[];
  nextCursor: string | null;
  counts: Record<string, number>;
}

export interface Fact {
  value: string;
  items?: string[];
  source: string;
  confidence: number;
  evidence?: string;
}

export interface Proposal {
  title: string;
  summary: string;
  steps: string[];
  expected: string | null;
  actual: string | null;
  severity: string;
  severityWhy?: string;
  labels: string[];
}

export interface DuplicateCandidate {
  kind: 'issue' | 'report';
  key: string | null;
  title: string;
  url: string | null;
  score: number;
  reasons: string[];
}

export interface SentryCandidate {
  issueId: string;
  shortId: string | null;
  title: string | null;
  score: number;
  reasons: string[];
}

/** What the recording's analysis found, when the report view carries it. */
export interface Analysis {
  steps?: { at?: number; text?: string; description?: string }[];
  errors?: { message?: string; text?: string; at?: number }[];
  failedRequests?: { method?: string; url?: string; status?: number }[];
}

export interface ReportView {
  id: string;
  status: string;
  source: string;
  createdAt: string;
  updatedAt: string;
  /** The customer's words, when the view carries them (else the list's excerpt is shown). */
  description?: string;
  /** Every message, when the view carries them (else GET /v1/reports/:id/messages is read). */
  conversation?: Message[];
  reporter?: Person | null;
  account?: AccountRef | null;
  ticket: TicketRef | null;
  priority: { level: string; reasons: string[] } | null;
  recording: {
    status: string;
    reason: string | null;
    events: number;
    durationMs: number;
    analyzed: boolean;
  } | null;
  analysis?: Analysis | null;
  replay?: { url: string } | null;
  sentry: {
    status: string;
    issue: {
      id: string;
      shortId: string;
      title: string;
      permalink: string;
      score: number;
      reasons: string[];
    } | null;
    candidates: SentryCandidate[];
    problem: string | null;
  } | null;
  dedupe: { decision: string; score: number | null; candidates: DuplicateCandidate[] } | null;
  questions: string[];
  email: Record<string, unknown> | null;
  triage: {
    engine: string;
    facts: Record<string, Fact | null>;
    proposal: Proposal | null;
    decision: string | null;
    confidence: number | null;
    fallbackReason: string | null;
    questionsAsked: number;
    humanDecision: { action: string; reason: string | null; target: string | null } | null;
  } | null;
}

export interface Message {
  id: string;
  author: string;
  body: string;
  questions: string[];
  createdAt: string;
}

export interface TraceStep {
  tool: string;
  reason: string;
  result: string;
  engine: string;
  run: number;
  seq: number;
  at: string;
}

export interface Trace {
  steps: TraceStep[];
  totals: { steps: number; tokensIn: number; tokensOut: number };
}

export interface LinkedReport {
  id: string;
  relation?: string;
  status?: string;
  reporter?: Person | null;
  account?: AccountRef | null;
}

export interface TicketDetail {
  key: string;
  url: string;
  title: string;
  state: string;
  provider: string;
  createdAt: string;
  reportCount: number;
  priority: { level: string; reasons: string[] } | null;
  body: string | null;
  accountCount: number;
  accounts?: AccountRef[];
  comments: { body: string; createdAt: string }[];
  reports: LinkedReport[];
}

export interface TicketSummary {
  key: string;
  url: string;
  title: string;
  state: string;
  provider: string;
  createdAt: string;
  reportCount: number;
}
