/**
 * Ids in a report's text: the reference code, request id or order number every report of one
 * bug carries a different one of. They tell nothing about which bug it is, so dedupe compares
 * text without them. Pure: no Nest, no I/O.
 */

/**
 * UUIDs; hex runs of 8 or more with a digit; digit runs of 5 or more; words of 5 or more letters
 * and digits that switch between the two at least twice (`8f3k2`, `a9x2k7`), which `mp4`,
 * `h264`, `oauth2` or `sha256` do not. `\b` is the word boundary (`\y` in PostgreSQL).
 */
const IDENTIFIER_SOURCE = String.raw`\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[0-9a-f]*\d)[0-9a-f]{8,}|\d{5,}|(?=[a-z0-9]*(?:[a-z]\d+[a-z]|\d[a-z]+\d))[a-z0-9]{5,})\b`;

const IDENTIFIER = new RegExp(IDENTIFIER_SOURCE, 'gi');

/** The same pattern for PostgreSQL's regexp_replace (with the flags 'gi'). */
export const IDENTIFIER_SQL_PATTERN = IDENTIFIER_SOURCE.replace(/\\b/g, '\\y');

/** `text` with its ids blanked out, so two reports that differ only in them read the same. */
export function withoutIdentifiers(text: string): string {
  return text.replace(IDENTIFIER, ' ').replace(/[ \t]{2,}/g, ' ');
}
