/**
 * What a bug report already states, found by rules of our own (independent of the engine's
 * extraction, so the two can disagree). Each finding carries the words it rests on, so a person
 * can check it. Issue forms are read generically: headings, bold labels, "Label:" lines, and the
 * template text reporters leave in place, which states nothing.
 */
import type { QuestionKind } from '../engine/triage.types';

/** The kinds of fact a report can state that a question could ask for again. */
export const STATED_KINDS = [
  'steps',
  'expected',
  'actual',
  'environment',
  'version',
  'logs',
  'screenshot',
  'frequency',
  'where',
  'latest',
] as const satisfies readonly QuestionKind[];
export type StatedKind = (typeof STATED_KINDS)[number];

export interface StatedFact {
  kind: StatedKind;
  /** The report's words the finding rests on, at most 100 characters. */
  evidence: string;
}

/** A part of the report: the label it sits under (null before any) and its lines. */
export interface ReportSection {
  label: string | null;
  lines: string[];
}

const EVIDENCE_MAX = 100;

// Template text left in place: GitHub's default forms and the usual variants of them.
const PLACEHOLDERS: RegExp[] = [
  /^_?no response_?$/i,
  /^(n\/?a|none|nothing|-+|\.+|…|tbd|todo)\.?$/i,
  /^\d+[.)]?\s*(\.{2,}|…)?$/, // "1.", "2)", "3. ..."
  /^\d+[.)]\s*see error\.?$/i,
  /^(\d+[.)]\s*)?(go to|click on|scroll down to|click|open)\s+['"‘“]\.{2,}['"’”]/i,
  /\ba clear and concise description\b/i,
  /\b(add|attach|include) (any )?(screenshots?|logs?)\b.*\b(if applicable|to help explain)\b/i,
  /^add any other (context|information)\b/i,
  /^\*?please (describe|complete|fill)\b.*\.?\*?$/i,
  /\bif applicable\b/i,
  /\bto see the [\w\s]*version\b.*\balso include\b/i,
  /^open ['"‘].+['"’] menu to see\b/i,
  /\[(version|os|browser) here\]/i,
  /^\(?add screenshot\)?$/i,
  /^ex\. i'?m always frustrated when\b/i,
  /^(describe|explain|list|paste|provide|write) (the|your|any|here)\b.{0,60}(here|below)?\.?$/i,
  /^thank you\*? for your bug report\b/i,
  /\blist the steps\b/i,
  /^that reproduce the (bug|issue|problem)\b/i,
  /^using hyphens as bullet points\b/i,
  /^describe (here|how what happens)\b/i,
  // A form's menu of answers left as asked: "Chrome, Safari, Firefox? which version?"
  /^[^.!?]*\w+\s*(,|\/)\s*\w+[^.!?]*\?(\s*which version\?)?$/i,
];

// A checked box is a statement ("- [x] I have updated to the latest…"); an empty one is not.
const UNCHECKED = /^[-*]\s*\[ \]/;
const CHECKED = /^[-*]\s*\[[xX]\]\s*/;

function stripMarkup(line: string): string {
  return line
    .replace(/^>\s?/, '')
    .replace(/^[-*+]\s+(?!\[)/, '')
    .replace(/^\*\*(.+?)\*\*\s*$/, '$1')
    .replace(/^_(.+)_$/, '$1')
    .trim();
}

/** True when a line is template text, an empty list item or an unticked box. */
export function isPlaceholder(line: string): boolean {
  const raw = line.trim();
  if (!raw) return true;
  if (UNCHECKED.test(raw)) return true;
  const text = stripMarkup(raw.replace(CHECKED, ''))
    .replace(/\(add screenshot\)/gi, '')
    .trim();
  if (!text || /^[\W_]*$/.test(text)) return true;
  return PLACEHOLDERS.some((p) => p.test(text));
}

// Field names a question-style label is allowed to carry ("- What Grafana version…? : 4.6").
const QUESTION_LABEL =
  /^(?:[-*]\s*)?((?:what|which|how|where|is|are|do|does|did|in which)\b[^?\n]{2,90}\?)\s*(?:\(add screenshot\))?\s*:?\s*(.*)$/i;
const FIELD_WORDS =
  /version|browser|operating system|\bos\b|expected|went wrong|happened|reproduc|steps|datasource|did you do|extension|platform|device|often/i;

/** Splits a label line into its label and any answer on the same line; null if not a label. */
function labelOf(line: string): { label: string; rest: string } | null {
  const t = line.trim();
  let m = /^#{1,6}\s+(.*?)\s*#*$/.exec(t);
  if (m) return { label: m[1].replace(/[*_:]/g, '').trim(), rest: '' };
  m = /^(?:[-*]\s+)?\*\*([^*]{2,80}?)\*\*\s*:?\s*(.*)$/.exec(t);
  if (m && (m[2] === '' || /:\s*(\*\*)?$/.test(m[1]) || /^\*\*[^*]+:\*\*|:\*\*/.test(t))) {
    return { label: m[1].replace(/:$/, '').trim(), rest: m[2].replace(/^:\s*/, '').trim() };
  }
  m = QUESTION_LABEL.exec(t);
  if (m && FIELD_WORDS.test(m[1])) return { label: m[1], rest: m[2].trim() };
  // "Label:" or "Label: answer", but not a URL or a time ("https://…", "9:43").
  m = /^(?:[-*]\s+)?([A-Za-z][\w &'/().,-]{1,60}?)\s*:(?!\/\/|\d)\s*(.*)$/.exec(t);
  // A sentence that runs into a colon ("then it shows: …") is not a field's name.
  const sentence = /\b(I|it|we|they|he|she|then|just|shows?|says)\b/i;
  if (m && m[1].split(/\s+/).length <= 8 && !sentence.test(m[1])) {
    return { label: m[1].trim(), rest: m[2].trim() };
  }
  // A form's field that ends in a colon with nothing after it ("Link to a viewer (if …):").
  if (/^[^`]{3,200}\((if|e\.g\.|optional|recommended)\b[^`]*:$/i.test(t)) {
    return { label: t.slice(0, -1).trim(), rest: '' };
  }
  return null;
}

/**
 * The report cut into labelled parts, without HTML comments, template text or unticked boxes.
 * Lines inside a code block are kept as they are and never read as labels.
 */
export function reportSections(text: string): ReportSection[] {
  const clean = text
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[‘’]/g, "'");
  const sections: ReportSection[] = [{ label: null, lines: [] }];
  let fence = false;
  for (const line of clean.split('\n')) {
    const current = sections[sections.length - 1];
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      current.lines.push(line.trim());
      continue;
    }
    if (fence) {
      current.lines.push(line);
      continue;
    }
    const label = labelOf(line);
    if (label) {
      sections.push({ label: label.label, lines: [] });
      if (label.rest && !isPlaceholder(label.rest)) {
        sections[sections.length - 1].lines.push(label.rest);
      }
      continue;
    }
    if (!isPlaceholder(line)) current.lines.push(line.trim().replace(CHECKED, ''));
  }
  return sections.filter((s) => s.label !== null || s.lines.length > 0);
}

function snippet(line: string, index = 0, length = 0): string {
  const flat = line.replace(/\s+/g, ' ').trim();
  if (flat.length <= EVIDENCE_MAX) return flat;
  const at = Math.max(0, Math.min(index - 30, flat.length - EVIDENCE_MAX));
  const end = Math.min(flat.length, Math.max(at + EVIDENCE_MAX, index + length));
  return flat.slice(at, Math.min(end, at + EVIDENCE_MAX)).trim();
}

/** The first line (of `lines`) matching one of `patterns`, as evidence. */
function findIn(lines: string[], patterns: RegExp[]): string | null {
  for (const line of lines) {
    for (const pattern of patterns) {
      const m = pattern.exec(line);
      if (m) return snippet(line, m.index, m[0].length);
    }
  }
  return null;
}

const LABELS: Partial<Record<StatedKind, RegExp>> = {
  steps: /\b(steps?|reproduc\w*|how to repro\w*|what did you do)\b/i,
  expected: /\bexpect\w*|what should happen/i,
  actual: /\bactual\b|what went wrong|what happened|happened instead|current behaviou?r/i,
  environment:
    /\b(operating system|os|browser|device|platform)\b(?! version.*desktop)|which operating system/i,
  version: /\b(version|release|build)\b/i,
  logs: /\blogs?\b|console|stack ?trace|error messages?/i,
  frequency: /how often|frequency|reproduces how/i,
};

// Phrases by which a reporter says they could not give the steps.
const NO_STEPS =
  /\b(no (way|idea)|(don'?t|do not|not sure) (know )?how|can'?t explain|no steps|randomly)\b/i;

const OS =
  /\b(windows(?: ?(?:xp|vista|7|8(?:\.1)?|10|11|server))?|mac ?os(?: x)?|os ?x|macbook|mbp|mac (?:intel|m1|m2|m3)|(?:high )?sierra|mojave|catalina|big sur|monterey|ventura|sonoma|sequoia|el capitan|linux|ubuntu|debian|fedora|centos|arch linux|mint|android|ios|ipad(?:os)?|iphone|chrome ?os|chromebook)\b/i;
const BROWSER =
  /\b(chrome|chromium|firefox|safari|edge|opera|brave|vivaldi|internet explorer|ie ?11)\b/i;
const DEVICE = /\b(tablet|phone|smartphone|mobile (device|phone|app)|pixel \d+|galaxy s?\d+)\b/i;

// Version numbers of something else than the product: a browser, an OS, a runtime.
const OTHERS_VERSION =
  /\b(chrome|chromium|firefox|safari|edge|opera|brave|windows|win|mac ?os|os ?x|ios|android|ubuntu|debian|fedora|centos|linux|kernel|node(?:\.?js)?|python|npm|java|jdk|mongo(?:db)?|postgres(?:ql)?|mysql|redis|docker|build|edition|os|sierra|catalina|sonoma|capitan|vscode|vs code|visual studio|xcode|iphone|ipad|browser|operating system)\b[\w\s:(),.-]{0,14}$/i;
const VERSION_NUMBER =
  /\bv?\d+\.\d+(?:\.\d+)*(?:-?(?:rc|beta|alpha|dev|snapshot|pre)\d*)?(?![\w.]*\.[a-z])/gi;

function versionIn(line: string): { index: number; length: number } | null {
  const text = line.replace(/\bhttps?:\/\/\S+|\]\([^)]*\)/g, (s) => ' '.repeat(s.length));
  for (const m of text.matchAll(VERSION_NUMBER)) {
    const before = text.slice(Math.max(0, m.index - 30), m.index);
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 5);
    if (/^\.?[a-z]{2,4}\b/i.test(after) && !/^\s/.test(after)) continue; // a file name
    if (/^\s*%/.test(after)) continue;
    if (OTHERS_VERSION.test(before)) continue;
    const parts = m[0].replace(/^v/i, '').split('.').length;
    const named =
      /\b(version|release|v|ver|upgrad\w*|updat\w*|install\w*|running|on|core|since)\W{0,3}$/i;
    if (parts >= 3 || /^v\d/i.test(m[0]) || named.test(before)) {
      return { index: m.index, length: m[0].length };
    }
  }
  const named =
    /\b(version|release|build)\b[^.\n]{0,20}\b(latest|nightly|master|main|canary|beta|dev|snapshot)\b|\b(nightly|canary) (build|version|release)?|\bcommit\b[^.\n]{0,15}\b[0-9a-f]{7,40}\b|\b[0-9a-f]{40}\b/i.exec(
      text,
    );
  return named ? { index: named.index, length: named[0].length } : null;
}

const LATEST = [
  /\b(latest|newest|most recent|current) (stable |available )?(version|release|build|update|nightly|master|main)\b/i,
  /\b(updated?|upgraded?|pulled|using|on|tried|tested(?: (?:it|this))?(?: on| with)?) (to |with |in |on )?the (latest|newest)\b/i,
  /\b(nightly|canary) (build|version|release)?/i,
  /\bon (master|main)\b/i,
];

const SCREENSHOT = [
  /!\[[^\]]*\]\([^)]+\)/,
  /<img\b[^>]*>/i,
  /<video\b|\.(png|jpe?g|gif|webp|bmp|mp4|mov|webm)\b/i,
  /\b(imgur|monosnap|snipboard|loom\.com|gyazo|prnt\.sc|user-images\.githubusercontent|user-attachments\/assets)\b/i,
  /\b(screenshot|screen ?cast|screen recording)s? (attached|below|above)\b/i,
];

const LOG_LINE = [
  /^\s*at [\w$.<>]+ ?\(?[^)]*:\d+(:\d+)?\)?\s*$/m,
  /\b\w*(Error|Exception): \S/,
  /\bTraceback \(most recent call last\)/,
  /\b(uncaught|unhandled)\b/i,
  /\b(ERROR|WARN(ING)?|FATAL)\b[\]:]/,
  /^\s*\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/m,
  /\bstack ?trace\b/i,
];
const LOG_FILE =
  /\.(log|txt)(\.zip|\.gz)?\b|\blog files?\b.{0,20}\battached\b|\battached\b.{0,20}\blogs?\b/i;

const ACTUAL = [
  /\bnothing (happens|happened|is shown|shows|appears|loads)\b/i,
  /\b(crash(es|ed|ing)?|freez(es|ing)|froze|hangs?|hung|stuck|unresponsive|not responding)\b/i,
  /\b(blank|white|empty|black|grey|gray) (page|screen|window|list|pages|area|space|box|panel)\b/i,
  /\b(is|are|was|shows?|stays?|keeps being|appears?) (empty|blank|blurry)\b/i,
  /\b(does(n'?t| not)|won'?t|can'?t|cannot|didn'?t|never) (show|appear|load|open|respond|update|display|connect|start|render|pop|play|refresh|find|recogni[sz]e|authenticate|launch)\w*/i,
  /\bnot (showing|displayed|displaying|loading|rendered|rendering|updating|responding|shown|appearing)\b/i,
  /\b(error|message|popup|toast|warning)\b[^.\n]{0,40}["“'`][^"”'`]{3,}["”'`]/i,
  /["“][^"”]{3,}["”][^.\n]{0,30}\b(error|message|popup|is displayed|appears)\b/i,
  /\b\w*(Error|Exception): \S/,
  /\b(returns?|gives?|got|get|getting|throws?|shows?) (an? |the )?(error|\d{3}\b|exception)/i,
  /\b(shows?|displays?|says|saying|reads)\b[^.\n]{0,30}["“'`:]\s*["“]?\w/i,
  /\b(current|actual) (behaviou?r|result|outcome)\s*[:-]\s*\w/i,
];

const FREQUENCY = [
  /\b(every ?time|each time|always|never works|sometimes|randomly|at random|intermittent(ly)?|occasionally|from time to time|now and then|consistently|reliably|often|rarely|not always|every (single )?(day|time|morning|run|launch|startup))\b/i,
  /\bonly (when|if|after|once|sometimes)\b/i,
  /\b\d{1,3} ?% of the time\b/i,
  /\bsome(,)? but not all\b|\bsome of them\b|\bnot all\b/i,
  /\b(first|second|third|\d+(st|nd|rd|th)?) time\b/i,
];

const WHERE = [
  /\bhttps?:\/\/(?!github\.com\/(user-attachments|[^/\s]+\/[^/\s]+\/(issues|files|pull|blob|assets))|user-images|private-user-images|cloud\.githubusercontent|(i\.)?imgur|snipboard|monosnap|gyazo|(www\.)?loom\.com|linear\.app|gist\.github|docs?\.)[^\s)>\]]+(?<!\.(js|css|map|png|jpe?g|gif|pdf|log|txt|zip|md))(?=[\s)>\]]|$)/i,
  /\b(on|in|at|from|to|into|open(ed|ing)?) (the |my |a |this |our )?([\w"'+&-]+ ){0,3}(page|screen|tab|dialog|modal|menu|dropdown|dashboard|panel|view|window|sidebar|editor|settings|toolbar|form|widget|popup|viewer|lab)\b/i,
];

// Expected is said in words ("should", "I expected") as well as under its label.
const EXPECTED = [
  /\bI('d| would| had| did)? expect(ed)?\b/i,
  /\bexpected (behaviou?r|result|outcome)\s*[:-]?\s*\w/i,
  /\b(it|this|that|they|which|there|the \w+) (should|ought to)\b(?! I)/i,
  /\bshould (be|have|show|display|work|open|load|appear|update|list|let|allow|not|still|stay|remain)\b/i,
  /\bsupposed to\b/i,
];

const ACTIONS =
  'click|tap|press|open|switch|select|type|go|run|launch|start|change|upload|download|hover|create|add|delete|remove|save|log ?in|sign ?in|push|pull|commit|drag|scroll|load|refresh|reload|edit|print|export|import|use|set|enter|navigate|visit|move|rename|fetch|zoom|copy|paste|search|sort|filter|resize|close|send|share|invite|book|join|align';
// A step said in passing: "when I click Export", "after pressing Save", "by clicking on the x";
// a bare "while printing" names an action but not how to get there.
const STEP_PHRASES = [
  new RegExp(
    `\\b(when(ever)?|after|if|every ?time|each time|once) (I|we|you|the user|users?) (try(ing)? to |then )?(${ACTIONS})\\w*`,
    'i',
  ),
  new RegExp(
    '\\b(when|while|after|on|by|before) ((clicking|pressing|tapping|hovering|dragging|selecting|typing|editing|double-clicking|right-clicking)( on)? \\S+)',
    'i',
  ),
  /\b(the )?steps? to reproduce (it |this )?(is|are)\b/i,
];
const NUMBERED = /^\s*(\d+[.)]|[-*])\s+\S/;

function contentOf(sections: ReportSection[], label: RegExp): string[] {
  return sections.filter((s) => s.label !== null && label.test(s.label)).flatMap((s) => s.lines);
}

function everyLine(sections: ReportSection[]): string[] {
  return sections.flatMap((s) => s.lines);
}

/**
 * Lines outside code blocks (a code block is read only for logs); with `withLabel`, each line
 * of a labelled part starts with its label, so "Node version: 4.6" reads as what it is.
 */
function proseLines(sections: ReportSection[], withLabel = false): string[] {
  const out: string[] = [];
  for (const section of sections) {
    let fence = false;
    for (const line of section.lines) {
      if (/^\s*(```|~~~)/.test(line)) fence = !fence;
      else if (!fence) out.push(withLabel && section.label ? `${section.label}: ${line}` : line);
    }
  }
  return out;
}

function codeBlocks(sections: ReportSection[]): string[] {
  const blocks: string[] = [];
  for (const section of sections) {
    let current: string[] | null = null;
    for (const line of section.lines) {
      if (/^\s*(```|~~~)/.test(line)) {
        if (current) blocks.push(current.join('\n'));
        current = current ? null : [];
      } else if (current) current.push(line);
    }
    if (current) blocks.push(current.join('\n'));
  }
  return blocks;
}

const YES_NO = /^\s*(yes|no|y|n|nope|yep)[.!]?\s*$/i;
// An answer that says there is none ("I don't have any", "no logs").
const NONE_GIVEN =
  /\b(don'?t|do not|can'?t|cannot) (have|provide|find|get) (any|them|it)\b|^\s*no \w+\.?$/i;

function labelled(sections: ReportSection[], kind: StatedKind): string | null {
  const pattern = LABELS[kind];
  if (!pattern) return null;
  for (const s of sections) {
    if (s.label === null || !pattern.test(s.label)) continue;
    // A bare yes or no answers a form's question ("Will you send logs? No"); it states nothing.
    const line = s.lines.find(
      (l) => !/^\s*(```|~~~)\s*$/.test(l) && !YES_NO.test(l) && !NONE_GIVEN.test(l),
    );
    if (line) return snippet(`${s.label}: ${line.trim()}`);
  }
  return null;
}

function detectSteps(sections: ReportSection[], prose: string[]): string | null {
  const under = contentOf(sections, LABELS.steps!);
  if (under.length && !(under.length === 1 && NO_STEPS.test(under[0]))) {
    return labelled(sections, 'steps');
  }
  const items = prose.filter((l) => NUMBERED.test(l) && /^\s*\d/.test(l));
  if (items.length >= 2) return snippet(items[0]);
  return findIn(prose, STEP_PHRASES);
}

function detectEnvironment(sections: ReportSection[], prose: string[]): string | null {
  const found = findIn(prose, [OS, BROWSER, DEVICE]);
  if (found) return found;
  // Under an OS/browser/device label, any answer counts ("Mac Intel", "Any OS").
  for (const s of sections) {
    if (s.label && /\b(operating system|os|browser|device)\b/i.test(s.label) && s.lines.length) {
      if (!/\b(version|release)\b/i.test(s.label) || OS.test(s.label)) {
        return snippet(`${s.label}: ${s.lines[0]}`);
      }
    }
  }
  return null;
}

// Labels that ask for some other thing's version ("Node version", "Browser and its version").
const OTHERS_LABEL =
  /\b(browser|node(\.?js)?|python|npm|mongo(db)?|java|database|db|kernel|chrom\w*|firefox|safari|what os|os version)\b|operating system|^os\b/i;

function detectVersion(sections: ReportSection[]): string | null {
  for (const s of sections) {
    const others = s.label !== null && OTHERS_LABEL.test(s.label);
    let fence = false;
    for (const line of s.lines) {
      if (/^\s*(```|~~~)/.test(line)) fence = !fence;
      if (fence || /^\s*(```|~~~)/.test(line)) continue;
      const at = versionIn(line);
      // Under "Browser and its version", "Version 58.0" is the browser's.
      const lead = line.slice(0, at?.index ?? 0);
      if (!at || (others && /^\W*(v|ver|version)?\W*$/i.test(lead))) continue;
      const prefix = s.label ? `${s.label}: ` : '';
      return snippet(`${prefix}${line}`, prefix.length + at.index, at.length);
    }
  }
  // A version label whose answer is a number of any shape or a word ("online version").
  for (const s of sections) {
    if (!s.label || !/\b(version|release)\b/i.test(s.label) || OTHERS_LABEL.test(s.label)) continue;
    const line = s.lines.find((l) =>
      /\d|latest|nightly|master|current|online/i.test(l.replace(/\S*(https?:|\]\()\S*/g, '')),
    );
    if (line) return snippet(`${s.label}: ${line}`);
  }
  return null;
}

function detectLogs(sections: ReportSection[], prose: string[]): string | null {
  for (const block of codeBlocks(sections)) {
    // The block's first log-like line: usually the error a stack trace starts with.
    const line = block.split('\n').find((l) => LOG_LINE.some((p) => p.test(l)));
    if (line) return snippet(line);
  }
  const inline = findIn(prose, [LOG_FILE, ...LOG_LINE]);
  if (inline) return inline;
  return labelled(sections, 'logs');
}

/**
 * What `text` (a report's title and body) states, one finding per kind at most, with the words
 * it rests on.
 */
export function statedFacts(text: string): StatedFact[] {
  const sections = reportSections(text);
  const prose = proseLines(sections);
  const labelledProse = proseLines(sections, true);
  const all = everyLine(sections);
  const found: Partial<Record<StatedKind, string | null>> = {
    steps: detectSteps(sections, prose),
    expected: labelled(sections, 'expected') ?? findIn(prose, EXPECTED),
    actual: labelled(sections, 'actual') ?? findIn(prose, ACTUAL),
    environment: detectEnvironment(sections, labelledProse),
    version: detectVersion(sections),
    logs: detectLogs(sections, prose),
    screenshot: findIn(all, SCREENSHOT),
    frequency: labelled(sections, 'frequency') ?? findIn(prose, FREQUENCY),
    where: findIn(prose, WHERE),
    latest: findIn(prose, LATEST),
  };
  return STATED_KINDS.flatMap((kind) => {
    const evidence = found[kind];
    return evidence ? [{ kind, evidence }] : [];
  });
}
