/**
 * Customer text (the reporter's words and answers, names, page titles, recorded labels and
 * typed text, console messages, URLs, emails) as Markdown that trackers show as text: no HTML,
 * links, images, emphasis, headings, lists or tables, and no GitHub mentions or references.
 *
 * Plain words stay plain so the ticket reads as prose; Markdown's punctuation is
 * backslash-escaped. A word a tracker would turn into a link or a mention by itself (`@user`,
 * `#12`, `owner/repo#12`, `ENG-12`, a URL, an email, a domain, a commit hash) goes into a code
 * span: GitHub and Linear link nothing inside code, where a backslash would not stop them,
 * because GitHub finds mentions and references in the rendered text.
 */

/** A word GitHub or Linear would link or mention on its own, even with its punctuation escaped. */
function isReference(word: string): boolean {
  return (
    /@[\p{L}\p{N}_]/u.test(word) || // @user, user@example.com, user@sha
    /#\d/.test(word) || // #12, owner/repo#12, GH#12
    /\b[A-Z][A-Z0-9]*-\d+\b/.test(word) || // GH-12, ENG-12 (Linear), JIRA-12
    /\b[a-z][a-z0-9+.-]*:[^\s]/i.test(word) || // https://…, mailto:…, javascript:…
    /(^|[^\p{L}\p{N}])www\./iu.test(word) ||
    /[\p{L}\p{N}-]\.[a-z]{2,}/iu.test(word) || // example.com, cdn.example/pixel.png
    /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b/i.test(word) // a commit hash
  );
}

/** The longest run of backticks in `text`. */
function longestBacktickRun(text: string): number {
  return Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
}

/**
 * `text` as one inline code span, whatever backticks it holds: the fence is longer than any run
 * inside, and a space pads content that starts or ends with a backtick. Newlines become spaces.
 */
export function codeSpan(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const pad = /^`|`$/.test(flat) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * `text` as a fenced code block whose fence is longer than any backtick run inside, so no line
 * of the text can close it.
 */
export function codeBlock(text: string, info = ''): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${fence}${info}\n${text.replace(/\s+$/, '')}\n${fence}`;
}

const ALNUM = /[\p{L}\p{N}]/u;

/** One word with Markdown's punctuation escaped. */
function escapeWord(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if ('\\`*<>|~$#'.includes(c)) {
      out += `\\${c}`;
    } else if (c === ']' && /[([:]/.test(word[i + 1] ?? '')) {
      // What would close a link, an image or a full reference: `](`, `][`, `]:`.
      out += '\\]';
    } else if (c === '[' && word[i + 1] === '^') {
      out += '\\['; // a footnote
    } else if (c === '_') {
      // snake_case stays readable: an underscore between letters opens no emphasis.
      const inside = ALNUM.test(word[i - 1] ?? '') && ALNUM.test(word[i + 1] ?? '');
      out += inside ? c : '\\_';
    } else if (c === '&' && /^&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i.test(word.slice(i))) {
      // An entity would be decoded into text (`&#64;` into `@`) after escaping was done.
      out += '\\&';
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * What would start a block at the beginning of a line: a list item, a setext underline, a link
 * reference definition (`[x]: url`, which would make every `[x]` in the ticket a link).
 */
function escapeLineStart(line: string): string {
  return line.replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2').replace(/^([-+=[])/, '\\$1');
}

const count = (text: string, c: string) => text.split(c).length - 1;

/** A reference in a code span; the sentence's punctuation around it stays outside. */
function referenceSpan(word: string): string {
  let start = 0;
  let end = word.length;
  if (word[0] === '(' && count(word, '(') > count(word, ')')) start = 1;
  while (end > start + 1 && /[.,;:!?]/.test(word[end - 1])) end--;
  if (word[end - 1] === ')' && count(word.slice(start, end), ')') > count(word, '(')) end--;
  const core = word.slice(start, end);
  if (!isReference(core)) return codeSpan(word);
  return `${escapeWord(word.slice(0, start))}${codeSpan(core)}${escapeWord(word.slice(end))}`;
}

/** One line of customer text, inert: escaped words, references in code spans. */
function inertLine(line: string): string {
  const words = line.split(/(\s+)/).map((part, i) => {
    if (i % 2 === 1 || part === '') return part;
    return isReference(part) ? referenceSpan(part) : escapeWord(part);
  });
  return escapeLineStart(words.join(''));
}

/** Customer text for the middle of a line (a name, a title, a step): one line, inert. */
export function inertInline(text: string): string {
  return inertLine(text.replace(/\s+/g, ' ').trim());
}

/**
 * Customer text as a block quote, line for line: readable as the customer wrote it, inert.
 * Leading indentation is dropped (it would make an indented code block inside the quote).
 */
export function inertQuote(text: string): string {
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const inert = inertLine(line.trim());
      return inert ? `> ${inert}` : '>';
    })
    .join('\n');
}
