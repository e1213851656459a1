import type { MailAttachment } from '../email.types';

/**
 * Which of a mail's attachments are kept as images a ticket may show, and how one is served.
 * Pure: no Nest, no database.
 */

/** Raster formats every tracker and browser shows and none of which can carry script. */
export const SERVED_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ServedImageType = (typeof SERVED_IMAGE_TYPES)[number];

/** What mail clients write for the same formats. */
const DECLARED_ALIASES: Record<string, ServedImageType> = {
  'image/png': 'image/png',
  'image/x-png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/gif': 'image/gif',
  'image/webp': 'image/webp',
};

const startsWith = (bytes: Uint8Array, prefix: number[], at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The raster format the bytes are, by their magic number; null for anything else. */
export function sniffImageType(bytes: Uint8Array): ServedImageType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return null;
}

/** An attachment kept as an image: its place in the mail's list, its name and bytes. */
export interface StorableImage {
  /** Its index in the mail's attachments (and in the report's listed attachments). */
  position: number;
  filename: string | null;
  contentType: ServedImageType;
  content: Uint8Array;
}

/** A stored filename is the customer's text: bounded, one line. */
const MAX_FILENAME = 255;

/**
 * The attachments kept as images: declared as PNG, JPEG, GIF or WebP, with their content (not
 * over the attachment limit), and whose bytes are that format. SVG and anything else that can
 * carry script, and a "png" whose bytes are something else, stay listed only.
 */
export function storableImages(attachments: MailAttachment[]): StorableImage[] {
  const kept: StorableImage[] = [];
  attachments.forEach((a, position) => {
    if (a.kind !== 'image' || !a.content?.length || a.dropped) return;
    const declared = DECLARED_ALIASES[a.contentType.split(';')[0].trim().toLowerCase()];
    if (!declared || sniffImageType(a.content) !== declared) return;
    const filename = a.filename?.replace(/[\r\n\t]+/g, ' ').slice(0, MAX_FILENAME) ?? null;
    kept.push({ position, filename, contentType: declared, content: a.content });
  });
  return kept;
}

const EXTENSIONS: Record<ServedImageType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * `inline; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback with nothing that
 * could end the quoted string or split the header, and the name as written, percent-encoded.
 */
export function inlineDisposition(filename: string | null, contentType: ServedImageType): string {
  const name = filename?.trim() || `image.${EXTENSIONS[contentType]}`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `inline; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
