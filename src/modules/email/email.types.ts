/**
 * A mail as Repro reads it: parsed once from the raw MIME by `parseEmail`
 * (src/modules/email/parsing/), whichever way it came in (POST /v1/emails, a provider webhook,
 * the SMTP listener). Pure types.
 */

export interface MailAddress {
  name: string | null;
  /** Lower-cased. */
  address: string;
}

export type AttachmentKind = 'image' | 'har' | 'other';

export interface MailAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  kind: AttachmentKind;
  /** Absent when the attachment was over the size limit (it is still listed). */
  content: Uint8Array | null;
  /** Why the content was dropped, when it was. */
  dropped: string | null;
}

/** A forwarded message found inside the mail: the original customer's. */
export interface ForwardedPart {
  from: MailAddress;
  /** ISO time the customer sent it, when the forward header says. */
  date: string | null;
  subject: string | null;
  /** The customer's own words, without quoted history or signature. */
  body: string;
}

/** Why a mail must never become a report or an answer. */
export type AutomatedKind = 'auto_reply' | 'bounce' | 'list' | 'own';

export interface ParsedEmail {
  /** Without angle brackets; null when the mail has none. */
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress | null;
  subject: string;
  /** ISO time from the Date header, when it parses. */
  date: string | null;
  /** The body as plain text (converted from HTML for HTML-only mail), every charset decoded. */
  text: string;
  /**
   * The sender's new words: for a forward, the note they wrote above it; for a reply, the reply
   * without the quoted history and signature; else the body without signature.
   */
  newText: string;
  forwarded: ForwardedPart | null;
  /** Set for auto-replies, bounces, mailing-list bulk and Repro's own messages. */
  automated: AutomatedKind | null;
  attachments: MailAttachment[];
  /** A stable hash of sender, subject, date and body, for a mail with no Message-ID. */
  contentHash: string;
}
