import type { Fact, FactKey, FactPicture, TicketProposal } from '../triage.types';
import type { ClientInfo, SentryRefs } from '../../../reports/entities/report.entity';
import { analysisSections, clock } from '../../../recordings/analyzer/markdown';
import type { RecordingAnalysis } from '../../../recordings/analyzer/types';
import type { SentryAttachment } from '../../../sentry/sentry-attachment';
import { codeBlock, codeSpan, inertInline, inertQuote } from '../../../../common/inert-text';
import { TITLE_PROSE_MAX } from './limits';
import type { Priority } from './priority';

/** What a report made from an email carries in its `client` (src/modules/email). */
export interface EmailTicketEvidence {
  forwardedBy?: string | null;
  /** The forwarding staff member's note: staff context, never the customer's words. */
  staffNote?: string | null;
  originalDate?: string | null;
  originalSubject?: string | null;
  attachments?: { filename: string; contentType: string; size: number; kind: string }[];
  failedRequests?: { file: string; method: string; url: string; status: number; error?: string }[];
  /** The customer's streamed widget session the report took as its recording, and why. */
  recording?: { reason: string } | null;
}

/** A signed link to one stored image of the mail (src/modules/email/attachments). */
export interface EmailImageLink {
  /** Its index in `client.email.attachments`. */
  position: number;
  url: string;
}

export interface TicketFacts {
  reportId: string;
  description: string;
  pageUrl: string | null;
  pageTitle: string | null;
  userAgent: string | null;
  client: ClientInfo & { email?: EmailTicketEvidence };
  sentry: SentryRefs;
  reporter: { name: string | null; email: string | null; externalId: string | null } | null;
  account: {
    name: string | null;
    externalId: string;
    tier: string | null;
    revenue: string | null;
    crmUrl: string | null;
  } | null;
  recording: { eventCount: number; durationMs: number } | null;
  /** What the recording showed; null without a recording or before analysis. */
  analysis?: RecordingAnalysis | null;
  /** Signed link to the replay at the moment of failure. */
  replayUrl?: string | null;
  /**
   * Signed links to the mail's stored images, shown in the ticket; absent when not looked up
   * (a listed image is then not said to be missing).
   */
  emailImages?: EmailImageLink[] | null;
  /** Why the recording was not kept (the report was). */
  recordingRefused?: string | null;
  /** Why the kept recording could not be analysed (the report went on without its evidence). */
  recordingUnusable?: string | null;
  /** The Sentry issue matched to the report, with its stack and breadcrumbs. */
  sentryIssue?: SentryAttachment | null;
  /** The triage agent's ticket (a person's edits included) and what it knows, from where. */
  proposal?: TicketProposal | null;
  facts?: FactPicture | null;
  /** The ticket's priority and why (priority.ts); no line without one. */
  priority?: Priority | null;
}

const FACT_LABELS: Record<FactKey, string> = {
  actual: 'What happened',
  expected: 'Expected',
  steps: 'Steps',
  where: 'Where',
  when: 'When',
  frequency: 'How often',
  impact: 'Impact',
  environment: 'Environment',
  version: 'Version',
  logs: 'Logs',
};

const SOURCE_LABELS: Record<Fact['source'], string> = {
  reporter: 'the reporter said',
  recording: 'the recording shows',
  sentry: 'Sentry shows',
  account: 'account data',
  inferred: 'inferred',
};

/** The fact picture as a list: each fact with where it comes from and how sure we are. */
function factLines(facts: FactPicture | null | undefined): string[] {
  if (!facts) return [];
  return (Object.keys(FACT_LABELS) as FactKey[]).flatMap((key) => {
    const fact = facts[key];
    if (!fact) return [];
    const value =
      key === 'steps' && fact.items?.length
        ? `${fact.items.length} ${fact.items.length === 1 ? 'step' : 'steps'}`
        : fact.value;
    return [
      `- **${FACT_LABELS[key]}:** ${inertInline(value)} _(${SOURCE_LABELS[fact.source]}, confidence ${fact.confidence.toFixed(2)})_`,
    ];
  });
}

/**
 * The hidden marker that ties a tracker issue back to the Repro report that created it. It is
 * the body's first line, where customer text never is (and customer text is inert, so it cannot
 * spell the marker anywhere): see isOwnMarker.
 */
export function reportMarker(reportId: string): string {
  return `<!-- repro:report=${reportId} -->`;
}

/**
 * Whether `body` carries `marker` as Repro writes it: its first line, or (tickets filed before
 * the marker moved to the top) its last line. A marker anywhere else was not written by Repro.
 */
export function isOwnMarker(body: string | null | undefined, marker: string): boolean {
  const lines = (body ?? '').trim().split(/\r?\n/);
  return lines[0].trim() === marker || lines[lines.length - 1].trim() === marker;
}

/** A one-line title from the reporter's words, cut at a word boundary. */
export function draftTitle(description: string): string {
  const firstLine = description.trim().split(/\r?\n/, 1)[0].replace(/\s+/g, ' ').trim();
  if (firstLine.length <= TITLE_PROSE_MAX) return firstLine || 'Bug report';
  const cut = firstLine.slice(0, TITLE_PROSE_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_PROSE_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const quote = inertQuote;
const code = codeSpan;

function section(title: string, lines: (string | null | undefined | false)[]): string | null {
  const kept = lines.filter((l): l is string => typeof l === 'string' && l.length > 0);
  return kept.length ? `## ${title}\n\n${kept.join('\n')}` : null;
}

/** The ticket body as Markdown. Sections appear only when there is something to say. */
export function renderTicketBody(facts: TicketFacts): string {
  const { client, reporter, account, sentry, recording, analysis } = facts;
  const viewport = client.viewport ? `${client.viewport.width}×${client.viewport.height}` : null;
  const found = analysis ? analysisSections(analysis) : null;
  const failure = analysis?.failure;
  const proposal = facts.proposal ?? null;
  const proposedSteps = proposal?.steps.length
    ? proposal.steps.map((step, i) => `${i + 1}. ${inertInline(step)}`).join('\n')
    : null;
  const parts = [
    section('Summary', [
      proposal?.summary && `${inertInline(proposal.summary)}\n`,
      proposal &&
        `Severity: **${proposal.severity}**${proposal.labels.length ? ` · Proposed labels: ${proposal.labels.map(code).join(', ')}` : ''}\n`,
      facts.priority && `${priorityLine(facts.priority)}\n`,
      proposal
        ? `In the reporter's words:\n\n${quote(facts.description)}`
        : quote(facts.description),
      failure &&
        failure.reason !== 'end' &&
        found?.failure &&
        `\nThe recording shows it: ${found.failure}.`,
    ]),
    emailNote(client.email),
    section('What we know', factLines(facts.facts)),
    found?.steps
      ? `## Steps to reproduce\n\n${found.steps}`
      : proposedSteps
        ? `## Steps to reproduce\n\n${proposedSteps}`
        : null,
    section('Expected / Actual', [
      proposal?.expected && `- **Expected:** ${inertInline(proposal.expected)}`,
      proposal?.actual && `- **Actual:** ${inertInline(proposal.actual)}`,
    ]),
    section('Evidence', [
      facts.replayUrl &&
        `- Replay${failure ? ` at the moment of failure (${clock(failure.t)})` : ''}: ${facts.replayUrl}`,
      failure && failure.reason !== 'end' && `- Failure: ${found?.failure}`,
      recording &&
        `- Session recording: ${recording.eventCount} events over ${Math.round(recording.durationMs / 1000)} s`,
      facts.recordingRefused &&
        `- Session recording refused: ${inertInline(facts.recordingRefused)}`,
      facts.recordingUnusable &&
        `- Session recording could not be analysed, so this ticket has no steps or errors from it: ${inertInline(facts.recordingUnusable)}`,
      ...sentryLines(facts.sentryIssue ?? null),
      sentry.eventId && `- Sentry event: ${code(sentry.eventId)}`,
      sentry.replayId &&
        !facts.sentryIssue?.replayUrl &&
        `- Sentry replay: ${code(sentry.replayId)}`,
      sentry.traceId && `- Trace: ${code(sentry.traceId)}`,
    ]),
    sentryStack(facts.sentryIssue ?? null),
    sentryBreadcrumbs(facts.sentryIssue ?? null),
    found?.errors ? `### Errors\n\n${found.errors}` : null,
    found?.failedRequests ? `### Failed requests\n\n${found.failedRequests}` : null,
    ...emailEvidence(client.email, facts.emailImages),
    found?.signals ? `### Signals\n\n${found.signals}` : null,
    section('Environment', [
      facts.pageUrl &&
        `- Page: ${inertInline(facts.pageUrl)}${facts.pageTitle ? ` (${inertInline(facts.pageTitle)})` : ''}`,
      found?.environment && `- ${found.environment}`,
      facts.userAgent && `- User agent: ${code(facts.userAgent)}`,
      !analysis && viewport && `- Viewport: ${viewport}`,
      !analysis && client.locale && `- Locale: ${inertInline(client.locale)}`,
      !analysis && client.timezone && `- Time zone: ${inertInline(client.timezone)}`,
    ]),
    section('Reporter and account', [
      reporter && `- Reporter: ${reporterLine(reporter)}`,
      account && `- Account: ${inertInline(account.name ?? account.externalId)}`,
      account?.tier && `- Tier: ${inertInline(account.tier)}`,
      account?.revenue && `- Revenue: ${inertInline(account.revenue)}`,
      account?.crmUrl && `- CRM: ${inertInline(account.crmUrl)}`,
    ]),
  ];
  return (
    [reportMarker(facts.reportId), ...parts.filter((p): p is string => p !== null)].join('\n\n') +
    '\n'
  );
}

/** "Forwarded by … with a note: …", and the original mail's date and subject; all inert. */
function emailNote(email: EmailTicketEvidence | undefined): string | null {
  const recording = email?.recording?.reason
    ? `The recording is ${inertInline(email.recording.reason)}.`
    : null;
  if (!email?.forwardedBy) return recording ? section('Sent by email', [recording]) : null;
  const original = [
    email.originalSubject && `subject ${inertInline(email.originalSubject)}`,
    email.originalDate && `sent ${inertInline(email.originalDate)}`,
  ].filter(Boolean);
  return section('Forwarded by email', [
    email.staffNote
      ? `Forwarded by ${inertInline(email.forwardedBy)} with a note:\n\n${quote(email.staffNote)}`
      : `Forwarded by ${inertInline(email.forwardedBy)}.`,
    original.length ? `\nThe customer's mail: ${original.join(', ')}.` : null,
    recording ? `\n${recording}` : null,
  ]);
}

function kilobytes(size: number): string {
  return size < 1024 ? `${size} B` : `${(size / 1024).toFixed(1)} KB`;
}

/**
 * An image's name as Markdown image text: every ASCII punctuation mark backslash-escaped, so
 * that nothing in it can close the brackets, open a link or become HTML; one line.
 */
function imageAlt(name: string): string {
  return name
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** Our own signed link, with nothing in it that could end a Markdown link destination. */
function imageUrl(url: string): string {
  return url.replace(/[\s()<>\\]/g, (c) => encodeURIComponent(c));
}

/**
 * The mail's attachments by name and size, each stored image shown from its signed link, and
 * the failed requests of its .har files.
 */
function emailEvidence(
  email: EmailTicketEvidence | undefined,
  images: EmailImageLink[] | null | undefined,
): string[] {
  const parts: string[] = [];
  const attachments = email?.attachments ?? [];
  if (attachments.length) {
    const shown = new Map((images ?? []).map((image) => [image.position, image.url]));
    const line = (a: (typeof attachments)[number], position: number) => {
      const listed = `- ${a.kind === 'image' ? 'Image' : a.kind === 'har' ? 'HAR file' : 'File'}: ${codeSpan(a.filename)} (${kilobytes(a.size)})`;
      const url = shown.get(position);
      if (url) return `${listed}\n  ![${imageAlt(a.filename)}](${imageUrl(url)})`;
      // Looked up and not kept: SVG, over the size limit, or not the image it claimed to be.
      return a.kind === 'image' && images ? `${listed}, not shown` : listed;
    };
    parts.push(`### Email attachments\n\n${attachments.map(line).join('\n')}`);
  }
  const failed = email?.failedRequests ?? [];
  if (failed.length) {
    const line = (r: (typeof failed)[number]) =>
      `- ${codeSpan(`${r.method} ${r.url}`)} → ${r.status || inertInline(r.error ?? 'no response')} _(${inertInline(r.file)})_`;
    parts.push(`### Failed requests (from the email's HAR)\n\n${failed.map(line).join('\n')}`);
  }
  return parts;
}

/** `Priority: **high** (Severity medium; Enterprise account (revenue 250,000))`, inert. */
export function priorityLine(priority: Priority): string {
  return `Priority: **${priority.level}** (${priority.reasons.map(inertInline).join('; ')})`;
}

/** `Ana Lima (`ana@acme.example`)`: the name, the email in code, else the external id. */
function reporterLine(reporter: NonNullable<TicketFacts['reporter']>): string {
  const name = reporter.name?.trim() ? inertInline(reporter.name) : null;
  const email = reporter.email?.trim() ? codeSpan(reporter.email) : null;
  if (name && email) return `${name} (${email})`;
  return name ?? email ?? inertInline(reporter.externalId ?? 'unknown');
}

/** The matched Sentry issue: what it is, how big, and why we think it is this report's. */
function sentryLines(issue: SentryAttachment | null): string[] {
  if (!issue) return [];
  const size = [
    issue.events !== null && `${issue.events} events`,
    issue.usersAffected !== null && `${issue.usersAffected} users`,
    issue.firstSeen && `first seen ${issue.firstSeen}`,
    issue.lastSeen && `last seen ${issue.lastSeen}`,
  ].filter(Boolean);
  const where = [
    issue.release && `release ${code(issue.release)}`,
    issue.environment && `environment ${code(issue.environment)}`,
    issue.culprit && `culprit ${code(issue.culprit)}`,
  ].filter(Boolean);
  return [
    `- Sentry issue: [${issue.shortId}](${issue.permalink}) ${inertInline(issue.title)}`,
    size.length ? `  - ${size.join(', ')}` : '',
    where.length ? `  - ${where.join(', ')}` : '',
    `  - Matched with score ${issue.score.toFixed(2)}: ${issue.reasons.map(inertInline).join('; ')}`,
    issue.replayUrl ? `- Sentry replay: ${issue.replayUrl}` : '',
  ];
}

function sentryStack(issue: SentryAttachment | null): string | null {
  if (!issue?.frames.length) return null;
  return `### Stack trace (Sentry ${issue.shortId})\n\n${codeBlock(issue.frames.join('\n'))}`;
}

function sentryBreadcrumbs(issue: SentryAttachment | null): string | null {
  if (!issue?.breadcrumbs.length) return null;
  const lines = issue.breadcrumbs.map((b) =>
    `- ${b.at.slice(11, 19)} ${code(b.category)} ${inertInline(b.message)}`.trimEnd(),
  );
  return `### Breadcrumbs before the error (Sentry)\n\n${lines.join('\n')}`;
}
