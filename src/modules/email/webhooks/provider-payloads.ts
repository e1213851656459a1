import busboy from 'busboy';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { invalidEmail } from '../email-errors';
import { composeMime, headerLines, type ProviderAttachment } from './provider-mail';

/** A form post (multipart or urlencoded) as fields (their bytes as sent) and files. */
export interface FormPost {
  fields: Map<string, Buffer>;
  files: Map<string, ProviderAttachment>;
}

/**
 * Reads a multipart/form-data or x-www-form-urlencoded body already held in memory. Field
 * values are kept as bytes: a raw MIME field (SendGrid's `email`, Mailgun's `body-mime`) may
 * hold 8-bit text in any charset, and SendGrid names each field's charset apart.
 */
export function readForm(headers: IncomingHttpHeaders, body: Buffer): Promise<FormPost> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // latin1 maps every byte to one character, so the bytes come back unchanged.
      parser = busboy({
        headers,
        defCharset: 'latin1',
        defParamCharset: 'utf8',
        // busboy cuts a field at 1 MiB by default; the body's size was limited before this.
        limits: { fieldSize: body.length + 1 },
      });
    } catch {
      reject(invalidEmail('Content-Type', 'Send a multipart/form-data or urlencoded form.'));
      return;
    }
    const fields = new Map<string, Buffer>();
    const files = new Map<string, ProviderAttachment>();
    parser.on('field', (name, value) => fields.set(name, Buffer.from(value, 'latin1')));
    parser.on('file', (name, stream, info) => {
      const pieces: Buffer[] = [];
      stream.on('data', (piece: Buffer) => pieces.push(piece));
      stream.on('end', () => {
        const content = Buffer.concat(pieces);
        // busboy calls any application/octet-stream part a file; without a filename it is a field.
        if (info.filename === undefined) fields.set(name, content);
        else files.set(name, { filename: info.filename, contentType: info.mimeType, content });
      });
    });
    parser.on('error', () => reject(invalidEmail('body', 'The form body could not be read.')));
    parser.on('close', () => resolve({ fields, files }));
    parser.end(body);
  });
}

/** A digest of everything a form carries (fields and files, in name order), boundaries aside. */
export function formDigest(form: FormPost): string {
  const hash = createHash('sha256');
  const add = (name: string, bytes: Buffer) => {
    hash.update(`${name.length}:${name}:${bytes.length}:`).update(bytes);
  };
  for (const name of [...form.fields.keys()].sort()) add(`field:${name}`, form.fields.get(name)!);
  for (const name of [...form.files.keys()].sort())
    add(`file:${name}`, form.files.get(name)!.content);
  return hash.digest('hex');
}

function text(form: FormPost, name: string, charset = 'utf-8'): string | undefined {
  const bytes = form.fields.get(name);
  if (!bytes) return undefined;
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    // A charset name Node does not know: read it as UTF-8 rather than refuse the mail.
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function jsonField<T>(form: FormPost, name: string, fallback: T): T {
  const value = text(form, name);
  if (!value) return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw invalidEmail(name, `The ${name} field is not valid JSON.`);
  }
}

function requiredFrom<T extends string | { name: string; address: string }>(from?: T): T {
  const address = typeof from === 'string' ? from : from?.address;
  if (!from || !address?.trim()) throw invalidEmail('from', 'The mail has no sender (from).');
  return from;
}

type Json = Record<string, unknown>;

function str(body: Json, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Postmark's inbound JSON as a MIME message: `RawEmail` as it is when the server includes it,
 * otherwise rebuilt from From/To/Cc/Subject/Headers/TextBody/HtmlBody/Attachments (Postmark's
 * own `MessageID` is its id for the delivery, not the mail's: the mail's is in Headers).
 */
export async function postmarkMime(body: unknown): Promise<Buffer> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidEmail('body', 'The body is not a Postmark inbound JSON object.');
  }
  const json = body as Json;
  const raw = str(json, 'RawEmail');
  if (raw) return Buffer.from(raw, 'utf8');
  const headers = Array.isArray(json.Headers)
    ? (json.Headers as unknown[]).flatMap((h): [string, string][] => {
        const { Name, Value } = (h ?? {}) as Json;
        return typeof Name === 'string' && typeof Value === 'string' ? [[Name, Value]] : [];
      })
    : [];
  // The Date field is the top-level one; Postmark leaves it out of Headers.
  const date = str(json, 'Date');
  if (date && !headers.some(([k]) => k.toLowerCase() === 'date')) headers.push(['Date', date]);
  const fromFull = json.FromFull as Json | undefined;
  const fromAddress = typeof fromFull?.Email === 'string' ? fromFull.Email : str(json, 'From');
  const fromName = typeof fromFull?.Name === 'string' ? fromFull.Name : str(json, 'FromName');
  const attachments = Array.isArray(json.Attachments)
    ? (json.Attachments as unknown[]).map((a, i): ProviderAttachment => {
        const { Name, Content, ContentType, ContentID } = (a ?? {}) as Json;
        if (typeof Content !== 'string') {
          throw invalidEmail(`Attachments.${i}.Content`, 'An attachment has no base64 Content.');
        }
        return {
          filename: typeof Name === 'string' ? Name : `attachment-${i + 1}`,
          contentType: typeof ContentType === 'string' ? ContentType : undefined,
          content: Buffer.from(Content, 'base64'),
          cid: typeof ContentID === 'string' && ContentID ? ContentID : undefined,
        };
      })
    : [];
  return composeMime({
    from: requiredFrom(
      fromAddress ? (fromName ? { name: fromName, address: fromAddress } : fromAddress) : undefined,
    ),
    to: str(json, 'To'),
    cc: str(json, 'Cc'),
    subject: str(json, 'Subject'),
    headers,
    text: str(json, 'TextBody'),
    html: str(json, 'HtmlBody'),
    attachments,
  });
}

/**
 * SendGrid Inbound Parse as a MIME message: the `email` field when the parse setting "POST the
 * raw, full MIME message" is on, otherwise rebuilt from headers/from/to/cc/subject/text/html
 * and the attachment1…N files, each text field read in the charset `charsets` names for it.
 */
export async function sendgridMime(form: FormPost): Promise<Buffer> {
  const raw = form.fields.get('email');
  if (raw?.length) return raw;
  const charsets = jsonField<Record<string, string>>(form, 'charsets', {});
  const field = (name: string) => text(form, name, charsets[name] ?? 'utf-8');
  const attachments = [...form.files.entries()]
    .filter(([name]) => /^attachment\d+$/.test(name))
    .map(([, file]) => file);
  return composeMime({
    from: requiredFrom(field('from')),
    to: field('to'),
    cc: field('cc'),
    subject: field('subject'),
    headers: headerLines(field('headers') ?? ''),
    text: field('text'),
    html: field('html'),
    attachments,
  });
}

/** The three fields Mailgun signs a route's POST with. */
export interface MailgunSignature {
  timestamp: string;
  token: string;
  signature: string;
}

export function mailgunSignature(form: FormPost): MailgunSignature | null {
  const timestamp = text(form, 'timestamp');
  const token = text(form, 'token');
  const signature = text(form, 'signature');
  return timestamp && token && signature ? { timestamp, token, signature } : null;
}

/**
 * A Mailgun route's forward as a MIME message: `body-mime` when the route's URL ends in "mime",
 * otherwise rebuilt from message-headers (JSON [name, value] pairs), from, subject, body-plain,
 * body-html and the attachment-1…N files (Mailgun sends the parsed fields as UTF-8).
 */
export async function mailgunMime(form: FormPost): Promise<Buffer> {
  const raw = form.fields.get('body-mime');
  if (raw?.length) return raw;
  const pairs = jsonField<unknown>(form, 'message-headers', []);
  const headers = Array.isArray(pairs)
    ? pairs.flatMap((pair): [string, string][] =>
        Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string'
          ? [[pair[0], pair[1]]]
          : [],
      )
    : [];
  const fromHeader = headers.find(([k]) => k.toLowerCase() === 'from')?.[1];
  const toHeader = headers.find(([k]) => k.toLowerCase() === 'to')?.[1];
  const ccHeader = headers.find(([k]) => k.toLowerCase() === 'cc')?.[1];
  const attachments = [...form.files.entries()]
    .filter(([name]) => /^attachment-\d+$/.test(name))
    .map(([, file]) => file);
  return composeMime({
    from: requiredFrom(text(form, 'from') ?? fromHeader),
    to: toHeader ?? text(form, 'recipient'),
    cc: ccHeader,
    subject: text(form, 'subject'),
    headers,
    text: text(form, 'body-plain'),
    html: text(form, 'body-html'),
    attachments,
  });
}
