import { createHash } from 'node:crypto';
import EmailForwardParser from 'email-forward-parser';
import EmailReplyParser from 'email-reply-parser';
import { convert } from 'html-to-text';
import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import type {
  AttachmentKind,
  AutomatedKind,
  ForwardedPart,
  MailAddress,
  MailAttachment,
  ParsedEmail,
} from '../email.types';
import { headerOffsetMinutes, parseForwardDate } from './forward-date';
import { isHar } from './har';

export interface ParseEmailOptions {
  /** An attachment larger than this is listed without its content. */
  maxAttachmentBytes: number;
  /**
   * Repro's own sending addresses (bare, or `Name <address>` as MAIL_FROM is written): a mail
   * from one of them is `automated: 'own'`.
   */
  ownAddresses?: string[];
  /** The domain of the Message-IDs Repro writes: a mail carrying one is `automated: 'own'`. */
  ownMessageIdDomain?: string;
}

// Subjects of out-of-office and automatic replies, in the languages support mail arrives in.
// Phrases only a machine writes open the subject; single words ("Absent", "OOO") must stand
// alone before a colon, so "Absent discount on my order" stays a customer's mail.
const AUTO_REPLY_SUBJECT = [
  /^\s*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absen(?:ce|te?) du bureau|respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori ufficio|resposta autom[áa]tica|ausente do escrit[óo]rio|automatisch antwoord|niet aanwezig)\b/i,
  /^\s*(?:ooo|abwesend|absente?|absence|ausente|afwezig)\s*(?::|$)/i,
];
const PARSE_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
} as const;
const HTML_TO_TEXT = {
  // Unwrapped, so a forward header or a sentence is never split across lines.
  wordwrap: false as const,
  // mailparser's own guards for the same conversion: no stack overflow on hostile nesting.
  limits: { maxDepth: 1000, maxInputLength: 16 * 1024 * 1024 },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'hr', format: 'skip' },
  ],
};
// Built once: the forward parser compiles a few hundred patterns in its constructor, and
// neither parser keeps state between calls (no sticky or exec'd regexes).
const forwardParser = new EmailForwardParser();
const replyParser = new EmailReplyParser();
const BOUNCE_SENDER = /^(?:mailer-daemon|postmaster)@/i;

/** Text of one header as written (first occurrence), unfolded; null when absent. */
function header(mail: ParsedMail, name: string): string | null {
  const line = mail.headerLines.find((h) => h.key === name)?.line;
  if (line === undefined) return null;
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

function address(name: string | undefined, addr: string | undefined): MailAddress | null {
  if (!addr) return null;
  return { name: name?.trim() || null, address: addr.trim().toLowerCase() };
}

function addresses(field: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const out: MailAddress[] = [];
  const walk = (values: AddressObject['value']): void => {
    for (const v of values) {
      if (v.group) walk(v.group);
      const a = address(v.name, v.address);
      if (a) out.push(a);
    }
  };
  for (const f of list) walk(f.value);
  return out;
}

function stripBrackets(id: string | undefined | null): string | null {
  const s = id?.trim().replace(/^<|>$/g, '').trim();
  return s ? s : null;
}

function isoDate(date: Date | undefined): string | null {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The plain-text body, or the HTML body as text when the mail has no plain-text part. */
function bodyText(mail: ParsedMail): string {
  if (typeof mail.text === 'string' && mail.text.trim()) return normaliseText(mail.text);
  return typeof mail.html === 'string' ? normaliseText(convert(mail.html, HTML_TO_TEXT)) : '';
}

/** The words above any quoted history, without signature ("-- ", "Sent from my iPhone"). */
function ownWords(text: string): string {
  if (!text.trim()) return '';
  const words = normaliseText(replyParser.parseReply(text));
  // A rule a client draws between the note and the forward is not part of the note.
  return words.replace(/(?:\n[-_=*]{3,}\s*)+$/, '').trim();
}

function automatedKind(
  mail: ParsedMail,
  from: MailAddress | null,
  options: ParseEmailOptions,
): AutomatedKind | null {
  const contentType = mail.headers.get('content-type') as
    { value?: string; params?: Record<string, string> } | undefined;
  const reportType = contentType?.params?.['report-type']?.toLowerCase();
  if (contentType?.value?.toLowerCase() === 'multipart/report' && reportType === 'delivery-status')
    return 'bounce';
  if (from && BOUNCE_SENDER.test(from.address)) return 'bounce';

  // Accepts a bare address or a MAIL_FROM-style "Repro <questions@…>".
  const own = new Set(
    (options.ownAddresses ?? []).map((a) => (a.match(/<([^>]+)>/)?.[1] ?? a).trim().toLowerCase()),
  );
  if (from && own.has(from.address)) return 'own';
  const domain = options.ownMessageIdDomain?.trim().toLowerCase();
  const idDomain = stripBrackets(mail.messageId)?.split('@').pop()?.toLowerCase();
  if (domain && idDomain && (idDomain === domain || idDomain.endsWith(`.${domain}`))) return 'own';

  const autoSubmitted = header(mail, 'auto-submitted')?.toLowerCase();
  const precedence = header(mail, 'precedence')?.toLowerCase();
  if (autoSubmitted && !autoSubmitted.startsWith('no')) return 'auto_reply';
  if (header(mail, 'x-autoreply') !== null || header(mail, 'x-autorespond') !== null)
    return 'auto_reply';
  if (precedence === 'auto_reply') return 'auto_reply';
  // A read receipt is a report too, but not a delivery failure.
  if (contentType?.value?.toLowerCase() === 'multipart/report') return 'auto_reply';
  if (AUTO_REPLY_SUBJECT.some((re) => re.test(mail.subject ?? ''))) return 'auto_reply';
  // RFC 3834: automatic responses go out with an empty return path, as bounces do.
  if (header(mail, 'return-path')?.replace(/\s/g, '') === '<>') return 'bounce';
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return 'list';
  return null;
}

function attachmentKind(a: Attachment, content: Buffer | null): AttachmentKind {
  const type = a.contentType.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (a.filename?.toLowerCase().endsWith('.har')) return 'har';
  const jsonish = type === 'application/json' || a.filename?.toLowerCase().endsWith('.json');
  if (jsonish && content) {
    try {
      if (isHar(JSON.parse(content.toString('utf8')))) return 'har';
    } catch {
      // Not JSON: an ordinary file.
    }
  }
  return 'other';
}

function attachment(a: Attachment, max: number): MailAttachment {
  const size = a.size ?? a.content.length;
  const over = size > max;
  const content = over ? null : a.content;
  return {
    filename: a.filename ?? null,
    contentType: a.contentType,
    size,
    kind: attachmentKind(a, content),
    content: content
      ? new Uint8Array(content.buffer, content.byteOffset, content.byteLength)
      : null,
    dropped: over ? `over the attachment limit (${size} bytes > ${max} bytes)` : null,
  };
}

function inlineForward(
  text: string,
  subject: string,
  fallbackOffset: number | null,
): { part: ForwardedPart; note: string } | null {
  if (!text.trim()) return null;
  const result = forwardParser.read(text, subject);
  const from = result.forwarded
    ? address(result.email.from.name ?? undefined, result.email.from.address ?? undefined)
    : null;
  if (!from) return null;
  return {
    part: {
      from,
      date: result.email.date ? parseForwardDate(result.email.date, fallbackOffset) : null,
      subject: result.email.subject?.trim() || null,
      body: ownWords(result.email.body ?? ''),
    },
    note: result.message ?? '',
  };
}

/** A message forwarded as an attachment (Outlook's "Forward as attachment"). */
async function attachedForward(mail: ParsedMail): Promise<ForwardedPart | null> {
  const attached = mail.attachments.find((a) => a.contentType.toLowerCase() === 'message/rfc822');
  if (!attached) return null;
  const inner = await simpleParser(attached.content, PARSE_OPTIONS);
  const from = addresses(inner.from)[0];
  if (!from) return null;
  return {
    from,
    date: isoDate(inner.date),
    subject: inner.subject?.trim() || null,
    body: ownWords(bodyText(inner)),
  };
}

function contentHash(
  from: MailAddress | null,
  subject: string,
  date: string | null,
  text: string,
): string {
  const flat = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim();
  return createHash('sha256')
    .update([from?.address ?? '', flat(subject).toLowerCase(), date ?? '', flat(text)].join('\n'))
    .digest('hex');
}

/**
 * Reads one raw RFC 5322 message: headers, every charset and transfer encoding, HTML-only
 * bodies as text, a forwarded customer's mail (inline in a dozen clients' formats and languages,
 * or attached), the sender's own new words, whether it was sent by a machine, and attachments
 * (content dropped over the limit). Pure: no I/O beyond the bytes given.
 */
export async function parseEmail(
  raw: Uint8Array | Buffer,
  options: ParseEmailOptions,
): Promise<ParsedEmail> {
  const bytes = Buffer.isBuffer(raw)
    ? raw
    : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const mail = await simpleParser(bytes, PARSE_OPTIONS);

  const from = addresses(mail.from)[0] ?? null;
  const subject = (mail.subject ?? '').trim();
  const date = isoDate(mail.date);
  const text = bodyText(mail);
  const automated = automatedKind(mail, from, options);

  let forwarded: ForwardedPart | null;
  let newText: string;
  const inline =
    automated === null
      ? inlineForward(text, subject, headerOffsetMinutes(header(mail, 'date')))
      : null;
  if (inline) {
    forwarded = inline.part;
    newText = ownWords(inline.note);
  } else {
    forwarded = automated === null ? await attachedForward(mail) : null;
    newText = ownWords(text);
  }

  const references =
    mail.references === undefined
      ? []
      : Array.isArray(mail.references)
        ? mail.references
        : [mail.references];
  return {
    messageId: stripBrackets(mail.messageId),
    inReplyTo: stripBrackets(mail.inReplyTo?.split(/\s+/)[0]),
    references: references
      .flatMap((r) => r.split(/\s+/))
      .map(stripBrackets)
      .filter((r): r is string => r !== null),
    from,
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    replyTo: addresses(mail.replyTo)[0] ?? null,
    subject,
    date,
    text,
    newText,
    forwarded,
    automated,
    attachments: mail.attachments.map((a) => attachment(a, options.maxAttachmentBytes)),
    contentHash: contentHash(from, subject, date, text),
  };
}
