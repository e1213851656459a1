/**
 * Error messages as comparable text: the same bug prints different numbers, ids, quoted values
 * and URLs each time, and browsers add their own prefixes. Pure: no Nest, no I/O.
 */

const URL_PATTERN = /\b(?:https?|wss?|file|blob|webpack|chrome-extension):\/\/[^\s"'`)<>\]]+/gi;
const UUID_PATTERN = /\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi;
/** Hex runs long enough to be ids or hashes, with at least one digit (so "deadbeef" words stay). */
const HEX_ID_PATTERN = /\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi;
const NUMBER_PATTERN = /\d+(?:[.,:]\d+)*/g;
/** What browsers and runtimes put in front of the same message. */
const PREFIX_PATTERN =
  /^(?:uncaught(?: \(in promise\))?|unhandled(?: promise)? rejection:?|error:)\s+/i;

/**
 * Lower-cased message with URLs, ids, numbers and quoted values' quotes removed, so
 * `Uncaught TypeError: Cannot read properties of undefined (reading 'id')` and
 * `TypeError: Cannot read properties of undefined (reading "id")` compare equal.
 */
export function normalizeErrorText(message: string): string {
  let text = message.split(/\r?\n/, 1)[0].trim();
  for (let i = 0; i < 2 && PREFIX_PATTERN.test(text); i++) text = text.replace(PREFIX_PATTERN, '');
  return text
    .replace(URL_PATTERN, ' ')
    .replace(UUID_PATTERN, ' ')
    .replace(HEX_ID_PATTERN, ' ')
    .replace(NUMBER_PATTERN, ' ')
    .replace(/["'`‘’“”]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_$.:()[\]<>/-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The words of a normalised message, for similarity. */
export function errorTokens(normalized: string): string[] {
  return normalized.split(/[^\p{L}\p{N}_$]+/u).filter((t) => t.length > 0);
}

/**
 * Similarity of two normalised messages in 0..1: 1 when equal, otherwise the Dice coefficient
 * of their word sets, so a title Sentry cut short still scores high against the full message.
 */
export function errorTextSimilarity(a: string, b: string): number {
  if (!a || !b) return 0;
  if (a === b) return 1;
  const left = new Set(errorTokens(a));
  const right = new Set(errorTokens(b));
  if (!left.size || !right.size) return 0;
  let shared = 0;
  for (const token of left) if (right.has(token)) shared++;
  return (2 * shared) / (left.size + right.size);
}

/**
 * `file:line function` for a stack line as browsers print it, or null when the line is not a
 * frame. Handles V8 (`at fn (url:1:2)`, `at url:1:2`), rrweb's console plugin (`fn (url:1:2)`)
 * and Firefox/Safari (`fn@url:1:2`).
 */
export function parseStackLine(
  line: string,
): { file: string; line: number; function: string | null } | null {
  const trimmed = line.trim();
  const v8 = /^(?:at\s+)?(?:(\S.*?)\s+\()?([^\s()]+?):(\d+)(?::\d+)?\)?$/.exec(trimmed);
  const gecko = /^([^\s@()]*)@([^\s]+?):(\d+)(?::\d+)?$/.exec(trimmed);
  const match = gecko ?? v8;
  if (!match) return null;
  const [, fn, location, lineNo] = match;
  return {
    file: fileOf(location),
    line: Number(lineNo),
    function: fn && fn.length > 0 ? fn.replace(/^async\s+/, '') : null,
  };
}

/** A frame's file as engineers name it: the URL's path, or the path as given. */
export function fileOf(location: string): string {
  try {
    return new URL(location).pathname;
  } catch {
    return location;
  }
}
