import type { MailAddress, MailAttachment, ParsedEmail } from './email.types';
import { failedRequestsFromHar, type HarFailedRequest } from './parsing/har';

/** The project's email settings, as reading a mail needs them. */
export interface EmailSettings {
  staffSenders: string[];
  unknownSenders: 'report' | 'refuse';
  /** False when the way in checked the sender and it failed (SPF/DKIM/DMARC): never staff. */
  senderAuthenticated?: boolean;
}

/** What an inbound mail is to Repro: decided from the mail and the settings alone. */
export type EmailReading =
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused' }
  | {
      kind: 'report';
      reporter: MailAddress;
      /** The customer's words: subject and body. */
      description: string;
      /** Set for a trusted forward: the staff member and their note above it. */
      forwardedBy: MailAddress | null;
      staffNote: string | null;
      /** The original customer's date and subject, for a trusted forward. */
      originalDate: string | null;
      originalSubject: string | null;
    };

/** Longest description a report takes (CreateReportDto); a longer mail is cut, marked so. */
export const DESCRIPTION_MAX = 20_000;
const NOTE_MAX = 4_000;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Whether `address` is on the staff list: exactly, or by an `@domain` entry. */
export function isStaff(address: string, staffSenders: string[]): boolean {
  const lower = address.toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@'));
  return staffSenders.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e.startsWith('@') ? domain === e : lower === e;
  });
}

/** `Subject\n\nbody`, without an empty part. */
function wordsOf(subject: string | null, body: string): string {
  return [subject?.trim(), body.trim()].filter((part) => part).join('\n\n');
}

/**
 * How an inbound mail that answers nothing is read: automated mail is ignored; a forward from a
 * staff sender is a report about the original customer with the staff note kept apart; anything
 * else is the sender's own report (a forward from someone not on the list included: what they
 * forwarded is then their words), or refused when the project refuses unknown senders.
 */
export function readEmail(mail: ParsedEmail, settings: EmailSettings): EmailReading {
  if (mail.automated) return { kind: 'ignored', reason: mail.automated };
  const from = mail.from!;
  const staff =
    settings.senderAuthenticated !== false && isStaff(from.address, settings.staffSenders);
  if (staff && mail.forwarded) {
    const note = mail.newText.trim();
    return {
      kind: 'report',
      reporter: mail.forwarded.from,
      description: cut(wordsOf(mail.forwarded.subject, mail.forwarded.body), DESCRIPTION_MAX),
      forwardedBy: from,
      staffNote: note ? cut(note, NOTE_MAX) : null,
      originalDate: mail.forwarded.date,
      originalSubject: mail.forwarded.subject,
    };
  }
  if (!staff && settings.unknownSenders === 'refuse') return { kind: 'refused' };
  // A direct mail's new words are its body without signature; a forward's are only the note.
  const body = mail.forwarded ? mail.text : mail.newText.trim() ? mail.newText : mail.text;
  const description = wordsOf(mail.subject, body) || '(an email with no text)';
  return {
    kind: 'report',
    reporter: from,
    description: cut(description, DESCRIPTION_MAX),
    forwardedBy: null,
    staffNote: null,
    originalDate: null,
    originalSubject: null,
  };
}

/** The message ids a reply points at: In-Reply-To first, then References, newest first. */
export function repliedTo(mail: ParsedEmail): string[] {
  return [...new Set([mail.inReplyTo, ...[...mail.references].reverse()].filter(Boolean))].map(
    (id) => id!,
  );
}

/** What the ticket and GET /v1/reports/:id show of the mail behind a report. */
export interface EmailEvidence {
  from: string;
  subject: string;
  forwardedBy: string | null;
  staffNote: string | null;
  originalDate: string | null;
  originalSubject: string | null;
  attachments: { filename: string; contentType: string; size: number; kind: string }[];
  /** From .har attachments, like the widget recording's failed requests. */
  failedRequests: (HarFailedRequest & { file: string })[];
  /** When the customer sent it (the forwarded original's date, else the mail's), ISO. */
  sentAt: string | null;
  /** The customer's streamed widget session the report took as its recording, and why. */
  recording: SessionEvidence | null;
}

/** A streamed widget session found for the mail's customer (see EmailService). */
export interface SessionEvidence {
  sessionId: string;
  startedAt: string;
  lastSeenAt: string;
  reason: string;
}

/**
 * When the customer sent the mail: the forwarded original's date, else the mail's own; a date
 * that is missing, unreadable or in the future (a wrong clock) counts as `receivedAt`.
 */
export function sentAt(
  mail: ParsedEmail,
  reading: Extract<EmailReading, { kind: 'report' }>,
  receivedAt: Date,
): Date {
  const given = reading.forwardedBy ? reading.originalDate : mail.date;
  const at = given ? Date.parse(given) : NaN;
  return Number.isFinite(at) && at <= receivedAt.getTime() ? new Date(at) : receivedAt;
}

/** Why a session was taken, in words an engineer reads on the ticket. */
export function sessionReason(session: { lastSeenAt: Date }, sent: Date): string {
  const minutes = Math.round((sent.getTime() - session.lastSeenAt.getTime()) / 60_000);
  const when =
    minutes > 0
      ? `last recorded ${minutes} min before the mail was sent`
      : 'still recording when the mail was sent';
  return `the widget session named with the customer's address (${when})`;
}

const MAX_FAILED_REQUESTS = 50;

/** `Ana Lima <ana@acme.example>`, or the address alone. */
export function addressLine(address: MailAddress): string {
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

/** The failed requests of every .har attachment (up to a cap); one that is not JSON gives none. */
export function harFailedRequests(attachments: MailAttachment[]): EmailEvidence['failedRequests'] {
  const found: EmailEvidence['failedRequests'] = [];
  for (const attachment of attachments) {
    if (attachment.kind !== 'har' || !attachment.content) continue;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(attachment.content).toString('utf8'));
    } catch {
      continue;
    }
    const file = attachment.filename ?? 'attachment.har';
    for (const request of failedRequestsFromHar(json)) {
      if (found.length >= MAX_FAILED_REQUESTS) return found;
      found.push({ ...request, file });
    }
  }
  return found;
}

export function evidenceOf(
  mail: ParsedEmail,
  reading: Extract<EmailReading, { kind: 'report' }>,
  found: { sentAt: Date | null; recording: SessionEvidence | null } = {
    sentAt: null,
    recording: null,
  },
): EmailEvidence {
  return {
    from: addressLine(reading.reporter),
    subject: mail.subject,
    forwardedBy: reading.forwardedBy ? addressLine(reading.forwardedBy) : null,
    staffNote: reading.staffNote,
    originalDate: reading.originalDate,
    originalSubject: reading.originalSubject,
    attachments: mail.attachments.map((a) => ({
      filename: a.filename ?? '(unnamed)',
      contentType: a.contentType,
      size: a.size,
      kind: a.kind,
    })),
    failedRequests: harFailedRequests(mail.attachments),
    sentAt: found.sentAt?.toISOString() ?? null,
    recording: found.recording,
  };
}
