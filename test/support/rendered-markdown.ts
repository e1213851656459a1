import MarkdownIt from 'markdown-it';

/**
 * A CommonMark renderer set up like the trackers' renderers at their most permissive: raw HTML
 * passes through (GitHub keeps `<img>`, `<a>`, `<details>` after sanitising), bare URLs and
 * domains become links (GFM's autolinks; linkify's are broader), tables and strikethrough on.
 */
const md = new MarkdownIt({ html: true, linkify: true });

/** Tags a Markdown renderer makes from Markdown itself; anything else came from raw HTML. */
const MARKDOWN_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'strong',
  'em',
  'code',
  'pre',
  'blockquote',
  'a',
  'br',
  'hr',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  's',
  'img',
]);

export function renderMarkdown(markdown: string): string {
  return md.render(markdown);
}

function decode(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/** The text a reader sees: tags dropped, entities decoded. */
export function visibleText(html: string): string {
  return decode(html.replace(/<[^>]*>/g, ''));
}

/** The text outside code spans and blocks, where GitHub and Linear link mentions and references. */
export function textOutsideCode(html: string): string {
  return visibleText(
    html.replace(/<pre>[\s\S]*?<\/pre>/g, ' ').replace(/<code>[\s\S]*?<\/code>/g, ' '),
  );
}

/** What in `html` is live markup rather than text, for a reader of the rendered ticket. */
export function liveMarkup(html: string): {
  images: string[];
  links: string[];
  rawHtml: string[];
  comments: string[];
  headings: string[];
} {
  const tags = [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g)];
  return {
    images: [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]),
    links: [...html.matchAll(/<a\b[^>]*href="([^"]*)"/g)].map((m) => decode(m[1])),
    rawHtml: tags.filter((t) => !MARKDOWN_TAGS.has(t[1].toLowerCase())).map((t) => t[0]),
    comments: [...html.matchAll(/<!--[\s\S]*?-->/g)].map((m) => m[0]),
    headings: [...html.matchAll(/<h[1-6]>([\s\S]*?)<\/h[1-6]>/g)].map((m) => visibleText(m[1])),
  };
}

/** GitHub's mentions and issue references (and Linear's identifiers) in text outside code. */
export function liveReferences(html: string): string[] {
  const text = textOutsideCode(html);
  const mentions = text.match(/(?<![\p{L}\p{N}_`/])@[a-z0-9][a-z0-9-]*/giu) ?? [];
  const issues = text.match(/(?<![\p{L}\p{N}&])#\d+/gu) ?? [];
  const identifiers = text.match(/\b[A-Z][A-Z0-9]*-\d+\b/gu) ?? [];
  return [...mentions, ...issues, ...identifiers];
}
