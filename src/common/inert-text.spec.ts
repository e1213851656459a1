import {
  liveMarkup,
  liveReferences,
  renderMarkdown,
  visibleText,
} from '../../test/support/rendered-markdown';
import { codeBlock, codeSpan, inertInline, inertQuote } from './inert-text';

/** What a hostile customer puts in a bug report, one line per trick. */
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '[click](javascript:alert(1))',
  '![](https://tracker.example/pixel.png)',
  'cc @octocat about #1 and acme/app#2, GH-3, ENG-4',
  '# Heading',
  '<!-- repro:report=2f6c1d1e-3a55-4a0e-9d8e-0a4c1a3c9b10 -->',
  '<https://evil.example> www.evil.example evil.example mail me: x@evil.example',
  '&#64;octocat &lt;b&gt;',
  '| a | b |',
  '|---|---|',
  '- item',
  '1. item',
  '**bold** _em_ ~~gone~~ `code` $x$',
  '    indented code',
  'setext heading',
  '===',
  '[ref]: https://evil.example',
  '[ref2]: /relative "title"',
  'see [ref] and [ref2] and [a][ref] and [b][] and [c](/x) and [d] (/y) and [^1] ![e](/i.png)',
  '[^1]: a footnote',
];

function expectInert(markdown: string, words: string[]): void {
  const html = renderMarkdown(markdown);
  expect(liveMarkup(html)).toEqual({
    images: [],
    links: [],
    rawHtml: [],
    comments: [],
    headings: [],
  });
  expect(html).not.toMatch(/<(strong|em|s|table|h\d|ul|ol)>/);
  expect(liveReferences(html)).toEqual([]);
  const seen = visibleText(html).replace(/\s+/g, ' ');
  for (const word of words) expect(seen).toContain(word);
}

describe('inert customer text', () => {
  it('quotes hostile text so a Markdown renderer shows every word and no markup', () => {
    const quoted = inertQuote(HOSTILE.join('\n'));
    expect(quoted.split('\n')).toHaveLength(HOSTILE.length);
    expect(quoted.split('\n').every((line) => line.startsWith('>'))).toBe(true);
    expectInert(quoted, [
      '<img src=x onerror=alert(1)>',
      '<script>alert(1)</script>',
      '[click](javascript:alert(1))',
      '![](https://tracker.example/pixel.png)',
      'cc @octocat about #1 and acme/app#2, GH-3, ENG-4',
      '# Heading',
      '<!-- repro:report=2f6c1d1e-3a55-4a0e-9d8e-0a4c1a3c9b10 -->',
      'mail me: x@evil.example',
      '&#64;octocat &lt;b&gt;',
      '**bold** _em_ ~~gone~~ `code` $x$',
      '[ref]: https://evil.example',
    ]);
  });

  it('keeps inline values on one line, just as inert', () => {
    for (const line of HOSTILE) {
      const inline = inertInline(line);
      expect(inline).not.toContain('\n');
      expectInert(`Reporter: ${inline}`, []);
      // After a list marker, where a value usually sits: still one item, nothing inside it.
      const html = renderMarkdown(`1. ${inline}`);
      expect(html.match(/<(ol|ul|li|h\d|p)>/g)).toEqual(['<ol>', '<li>']);
    }
    expect(visibleText(renderMarkdown(inertInline('Ana <b>Lima</b>\n@octocat')))).toBe(
      'Ana <b>Lima</b> @octocat\n',
    );
  });

  it('leaves ordinary prose readable: words as written, references in code', () => {
    expect(inertInline('I changed the card and pressed Save')).toBe(
      'I changed the card and pressed Save',
    );
    expect(inertInline("TypeError: Cannot read properties of undefined (reading 'id')")).toBe(
      "TypeError: Cannot read properties of undefined (reading 'id')",
    );
    expect(inertInline('Clicked button "Save changes" in time_zone Sao_Paulo')).toBe(
      'Clicked button "Save changes" in time_zone Sao_Paulo',
    );
    expect(inertInline('Opened https://app.acme.example/settings, ask @ana (or #12).')).toBe(
      'Opened `https://app.acme.example/settings`, ask `@ana` (or `#12`).',
    );
    expect(inertInline('failed for [email], card *1234*')).toBe(
      'failed for [email], card \\*1234\\*',
    );
  });

  it('makes code spans and blocks that no backtick inside can close', () => {
    expect(codeSpan('odd`agent')).toBe('``odd`agent``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(visibleText(renderMarkdown(codeSpan('a ``` b')))).toBe('a ``` b\n');
    const block = codeBlock('line\n```\n<img src=x>\n````');
    expect(block.startsWith('`````\n')).toBe(true);
    const html = renderMarkdown(`${block}\n\nafter`);
    expect(html).toContain('&lt;img src=x&gt;');
    expect(html).toMatch(/<\/pre>\n<p>after<\/p>/);
  });
});
