import MailComposer from 'nodemailer/lib/mail-composer';

/** One attachment as a provider hands it over, decoded. */
export interface ProviderAttachment {
  filename: string;
  contentType?: string;
  content: Buffer;
  cid?: string;
}

/** The parts of a mail a provider's parsed payload carries, as we rebuild it into MIME. */
export interface ProviderMailFields {
  from: string | { name: string; address: string };
  to?: string;
  cc?: string;
  subject?: string;
  /** Every header the provider kept, in order (Message-ID, In-Reply-To, Auto-Submitted, …). */
  headers: [string, string][];
  text?: string;
  html?: string;
  attachments: ProviderAttachment[];
}

// Written by MailComposer from the fields, or describing the old MIME structure (which is gone).
const COMPOSED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
]);

function header(headers: [string, string][], name: string): string | undefined {
  return headers.find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * A MIME message rebuilt from a provider's parsed fields: the sender's Message-ID, Date,
 * In-Reply-To and References are kept as they were (so dedupe and reply threading see the mail
 * that was sent), and so are the other headers (Auto-Submitted, Precedence, List-Id…) that say
 * whether the mail is automated.
 */
export async function composeMime(fields: ProviderMailFields): Promise<Buffer> {
  const messageId = header(fields.headers, 'message-id')?.trim();
  const date = header(fields.headers, 'date');
  const kept = fields.headers
    .filter(([key]) => !COMPOSED.has(key.toLowerCase()))
    .map(([key, value]) => ({ key, value }));
  const composer = new MailComposer({
    from: fields.from,
    to: fields.to || undefined,
    cc: fields.cc || undefined,
    subject: fields.subject ?? '',
    // Without the sender's Message-ID the mail is still deduplicated by its content hash.
    messageId: messageId || undefined,
    date: date && !Number.isNaN(Date.parse(date)) ? new Date(date) : undefined,
    inReplyTo: header(fields.headers, 'in-reply-to')?.trim() || undefined,
    references: header(fields.headers, 'references')?.trim() || undefined,
    text: fields.text || undefined,
    html: fields.html || undefined,
    headers: kept,
    attachments: fields.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      cid: a.cid,
    })),
  });
  return composer.compile().build();
}

/** `Name: value` lines (folded continuation lines joined) as [name, value] pairs. */
export function headerLines(block: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && pairs.length > 0) {
      pairs[pairs.length - 1][1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    pairs.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return pairs;
}
