/**
 * Reading the reporter's own words: issue-template sections, numbered steps, "expected"
 * phrasing, environment mentions, frequency and impact. Pure.
 */
import type { FactKey } from '../agent.types';

export type SectionKey = FactKey | 'other';

export interface TextSection {
  key: SectionKey;
  heading: string;
  /** The section's text with template placeholders removed; '' when nothing is left. */
  text: string;
}

export interface ParsedText {
  /** Text before the first recognised heading (often the whole report). */
  preamble: string;
  sections: TextSection[];
  /** Everything the reporter wrote, placeholders removed. */
  clean: string;
}

/** Heading words → fact key. Order matters: "Reproduces how often" is frequency, not steps. */
const HEADING_KEYS: [RegExp, SectionKey][] = [
  [/how often|frequency|reproducib/i, 'frequency'],
  [/expect/i, 'expected'],
  [/steps|reproduc/i, 'steps'],
  [
    /actual|went wrong|describe the (bug|issue|problem)|the problem|^problem|^issue$|^description|what happened|current behaviou?r|^error/i,
    'actual',
  ],
  [
    /version|\bos\b|operating system|browser|configuration|environment|platform|device|release/i,
    'environment',
  ],
  [/screenshot|\blogs?\b|additional|context|checklist|attach|link to|image|regards/i, 'other'],
];

/** Text GitHub issue templates put there for the reporter to replace. */
const PLACEHOLDER_LINES: RegExp[] = [
  /^open 'about github desktop' menu/i,
  /^add (screenshots?|any other context)/i,
  /^(write )?a clear and concise description/i,
  /^link to a viewer \(if hosted/i,
  /^(\d+[.)]\s*)?(go to|click on|scroll down to) '\.+'/i,
  /^(\d+[.)]\s*)?see error\.?$/i,
  /^(\d+[.)]\s*)?\.{2,}$/,
  /^(\d+[.)]\s*)?$/,
  /^-?\s*\[[ x]\]\s*i have/i,
  /^if applicable/i,
  /^<!--.*-->$/,
];

const PLACEHOLDER_PHRASES: RegExp[] = [
  /\(add screenshot\)/gi,
  /\[version here\]/gi,
  /<!--[\s\S]*?-->/g,
];

function headingOf(line: string): { heading: string; rest: string; strong: boolean } | null {
  const md = /^#{1,6}\s*(.+?)\s*#*$/.exec(line);
  if (md) return { heading: md[1].replace(/\*+/g, '').trim(), rest: '', strong: true };
  const bold = /^\*\*(.+?):?\*\*:?\s*(.*)$/.exec(line);
  if (bold) return { heading: bold[1].trim(), rest: bold[2], strong: false };
  const label = /^(?:[-*]\s*)?([A-Za-z][\w &'/(),-]{2,70}?)(?::|\?)\s*(.*)$/.exec(line);
  if (label) return { heading: label[1].trim(), rest: label[2], strong: false };
  return null;
}

function keyOfHeading(heading: string): SectionKey | null {
  for (const [pattern, key] of HEADING_KEYS) if (pattern.test(heading)) return key;
  return null;
}

/** Removes template placeholders, images and empty list items. */
export function stripPlaceholders(text: string): string {
  let out = text;
  for (const p of PLACEHOLDER_PHRASES) out = out.replace(p, '');
  return out
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/<img\b[^>]*>/gi, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => !PLACEHOLDER_LINES.some((p) => p.test(l)))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Splits a report into template sections. Unknown "Label:" lines stay as content. */
export function parseReporterText(text: string): ParsedText {
  const lines = text.split(/\r?\n/);
  const sections: { key: SectionKey; heading: string; lines: string[] }[] = [];
  const preamble: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const h = line ? headingOf(line) : null;
    const key = h ? keyOfHeading(h.heading) : null;
    if (h && (key || h.strong)) {
      sections.push({ key: key ?? 'other', heading: h.heading, lines: h.rest ? [h.rest] : [] });
      continue;
    }
    const current = sections[sections.length - 1];
    (current ? current.lines : preamble).push(raw);
  }
  const done = sections.map((s) => ({
    key: s.key,
    heading: s.heading,
    text: stripPlaceholders(s.lines.join('\n')),
  }));
  return {
    preamble: stripPlaceholders(preamble.join('\n')),
    sections: done,
    clean: stripPlaceholders(text),
  };
}

/** The first non-empty section for a key, or null. */
export function sectionText(parsed: ParsedText, key: SectionKey): string | null {
  const found = parsed.sections.find((s) => s.key === key && meaningful(s.text));
  return found ? found.text : null;
}

/** True when the text says something: a few letters, not only punctuation or a link. */
export function meaningful(text: string | null | undefined): boolean {
  if (!text) return false;
  const words = text.replace(/https?:\/\/\S+/g, '').match(/[\p{L}\d]{2,}/gu) ?? [];
  return words.length >= 1 && words.join('').length >= 3;
}

const VAGUE =
  /^(idk|i don'?t know|dunno|no idea|not sure|n\/?a|none|nothing|no|yes|ok(ay)?|same|see above|it (just )?(doesn'?t|does not|won'?t|isn'?t) work(ing)?|(it'?s )?(just )?(broken|not working)|there is no way|it just happened|whatever|\?+)\b[\s.!?]*$/i;

const FILLER =
  /\b(idk|i don'?t know|dunno|no idea|not sure|sorry|honestly|just|really|it|its|it'?s|this|that|the|thing|doesn'?t|doesnt|does not|won'?t|isn'?t|not|work(s|ing)?|broken|anymore|at all|still|same|as i said|like i said|nothing|happens?)\b/g;

/** An answer or statement too thin to count as evidence ("idk", "it just doesn't work"). */
export function isVague(text: string | null | undefined): boolean {
  if (!text) return true;
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length < 6 || !meaningful(t)) return true;
  if (VAGUE.test(t)) return true;
  // What is left once the shrugs are taken out: "idk it just doesnt work" leaves nothing.
  const rest = t
    .toLowerCase()
    .replace(FILLER, ' ')
    .match(/[\p{L}\d]{3,}/gu);
  if (!rest || rest.length < 2) return true;
  return /^(there is no way to explain|i (really )?(don'?t|do not) know|it just (happened|stopped))/i.test(
    t,
  );
}

/** Numbered or bulleted list items, in order; null when there are fewer than `min`. */
export function listItems(text: string, min = 2): string[] | null {
  const items = text
    .split(/\r?\n/)
    .map((l) => /^\s*(?:\d+[.)]|[-*•])\s*(.+)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => !!l && meaningful(l));
  return items.length >= min ? items : null;
}

/** Steps from a steps section (list or lines), or a numbered list anywhere in the text. */
export function extractSteps(parsed: ParsedText): { items: string[]; confidence: number } | null {
  const section = sectionText(parsed, 'steps');
  if (section && !isVague(section)) {
    const items = listItems(section, 1) ?? section.split(/\r?\n/).filter((l) => meaningful(l));
    const kept = items.map((i) => i.replace(/\*\*/g, '').trim()).filter(Boolean);
    if (kept.length >= 2) return { items: kept, confidence: 0.8 };
    if (kept.length === 1 && kept[0].split(/\s+/).length >= 3) {
      return { items: kept, confidence: 0.6 };
    }
  }
  const numbered = parsed.clean
    .split(/\r?\n/)
    .map((l) => /^\s*\d+[.)]\s*(.+)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => !!l && meaningful(l));
  if (numbered.length >= 2) return { items: numbered, confidence: 0.7 };
  // "Every time I switch branches with cmd+b": one action that triggers it is a (thin) repro.
  const action =
    /\b(?:every ?time|whenever|each time|when|after) (?:i|we) ([^,.!?\n]{6,100})/i.exec(
      parsed.clean,
    ) ??
    /\b(?:i|we) (?:am |'m |was |were )?(?:trying to|click(?:ed)?(?: on)?|press(?:ed)?|tap(?:ped)?(?: on)?|select(?:ed)?) ([^.!?\n]{3,100})/i.exec(
      parsed.clean,
    );
  return action ? { items: [action[0].trim()], confidence: 0.45 } : null;
}

function firstSentence(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(flat);
  const s = m ? m[1] : flat;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** What the reporter expected, from a section or "I expected / should / instead of" phrasing. */
export function extractExpected(parsed: ParsedText): { value: string; confidence: number } | null {
  const section = sectionText(parsed, 'expected');
  if (section && !isVague(section)) return { value: firstSentence(section), confidence: 0.8 };
  const text = parsed.clean.replace(/\s+/g, ' ');
  const said =
    /\b(?:i|we) (?:expected|expect|was expecting|would expect)(?: (?:that|it|to))? ([^.!?\n]{4,160})/i.exec(
      text,
    ) ??
    /\b(?:it|this|that|the [\w ]{1,30}) (?:should|is supposed to|ought to) ([^.!?\n]{4,160})/i.exec(
      text,
    );
  if (said) return { value: firstSentence(said[0]), confidence: 0.65 };
  const instead = /\binstead of ([^.!?,\n]{4,120})/i.exec(text);
  if (instead) return { value: `Not this, but: ${instead[1].trim()}`, confidence: 0.45 };
  return null;
}

/**
 * "X doesn't show all branches" implies the reporter expected it to: an inferred expectation,
 * good enough not to ask about.
 */
export function impliedExpectation(statement: string): string | null {
  const m =
    /\b(?:doesn'?t|does not|don'?t|won'?t|can'?t|cannot|can not|is not|isn'?t|are not|aren'?t|not|unable to|fails? to|never)\s+([a-z][^.!?\n]{2,80})/i.exec(
      statement,
    );
  // "It does not work" implies nothing beyond "it should work".
  if (!m) return null;
  const start = statement.lastIndexOf('\n', m.index) + 1;
  const subject = statement.slice(start, m.index).trim();
  if (
    /^work(s|ing)?\b/i.test(m[1]) &&
    (!subject || /\b(it|its|it'?s|this|that|thing)$/i.test(subject))
  ) {
    return null;
  }
  const end = statement.indexOf('\n', m.index);
  const line = statement.slice(start, end < 0 ? undefined : end).trim();
  return `The opposite of: "${line.length > 120 ? `${line.slice(0, 119)}…` : line}"`;
}

const OS =
  /\b(windows\s*(?:\d+(?:\.\d+)*|xp|vista|server)?|win\s?(?:7|8|10|11)|mac\s?os(?:\s*x)?|os\s?x|high sierra|sierra|mojave|catalina|big sur|monterey|ventura|sonoma|sequoia|mac intel|macbook|\bmbp\b|linux|ubuntu(?:\s*[\d.]+)?|debian|fedora|arch linux|android(?:\s*[\d.]+)?|ios(?:\s*[\d.]+)?|iphone|ipad|chrome\s?os)\b/i;
const BROWSER =
  /\b(chrome|chromium|firefox|safari|edge|opera|brave|vivaldi|internet explorer|ie\s?11)\b(?:\s*(?:version\s*)?[\d.]+)?/i;
const VERSION =
  /\b(?:version|ver\.?|release|build|v)\s*:?\s*v?\d+(?:\.\d+)+|\b\d+\.\d+\.\d+(?:\.\d+)?\b|\b(?:core|pdfjs-dist)[-: ]+\d+(?:\.\d+)+/i;

/** OS, browser and version mentions in the reporter's words, as one line; null when none. */
export function extractEnvironment(
  parsed: ParsedText,
): { value: string; confidence: number } | null {
  const section = sectionText(parsed, 'environment');
  const text = parsed.clean;
  const found = [OS, BROWSER, VERSION]
    .map((p) => p.exec(text)?.[0]?.trim())
    .filter((m): m is string => !!m);
  if (section && meaningful(section)) {
    const line = section.replace(/\s+/g, ' ').slice(0, 200);
    return { value: line, confidence: found.length ? 0.8 : 0.6 };
  }
  if (!found.length) return null;
  return { value: [...new Set(found)].join(', '), confidence: found.length >= 2 ? 0.7 : 0.55 };
}

/** "every time", "sometimes", "100% of the time"… */
export function extractFrequency(parsed: ParsedText): string | null {
  const section = sectionText(parsed, 'frequency');
  if (section) return section.replace(/\s+/g, ' ').slice(0, 120);
  const m =
    /\b(every ?time|each time|always|100%(?: of the time)?|all the time|constantly|consistently|sometimes|occasionally|intermittent(?:ly)?|randomly|now and then|once|twice|several times|rarely|every (?:day|morning|week)|whenever|keeps?\s+\w+ing)\b/i.exec(
      parsed.clean,
    );
  return m ? m[0] : null;
}

/** "since yesterday", "after the update"… */
export function extractWhen(parsed: ParsedText): string | null {
  const m =
    /\b(since (?:yesterday|today|this morning|last (?:week|night|month|update|release)|the (?:last |latest )?(?:update|upgrade|release)|v?\d[\w.]*|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|(?:started|began) (?:happening )?(?:after|when|since) [^.!?\n]{3,60}|after (?:the |an? |upgrading|updating)(?:latest )?(?:update|upgrade|release|upgrading|updating)[^.!?\n]{0,40}|(?:a few|for) (?:days|weeks) (?:ago|now)|yesterday|this morning|last week)/i.exec(
      parsed.clean,
    );
  return m ? m[0] : null;
}

/** "can't work", "all users", "customers can't pay"… */
export function extractImpact(parsed: ParsedText): { value: string; confidence: number } | null {
  const broad =
    /\b(all (?:of )?(?:our |my )?(?:users|customers|clients|team)|every(?:one|body) (?:is|can'?t|cannot)|nobody can|no one can|customers? (?:can'?t|cannot|are unable)|(?:whole|entire) (?:team|company))[^.!?\n]{0,80}/i.exec(
      parsed.clean,
    );
  if (broad) return { value: broad[0].trim(), confidence: 0.7 };
  const blocked =
    /\b(blocked|blocking|can'?t (?:work|continue|use|do|save|log ?in|sign ?in|push|pay|access)|cannot (?:work|continue|use|save|push|access)|unable to (?:work|continue|use|save|push|access)|won'?t (?:start|open|launch)|(?:urgent|asap|critical)|lost (?:my |all |our )?(?:data|work|changes))[^.!?\n]{0,60}/i.exec(
      parsed.clean,
    );
  if (blocked) return { value: blocked[0].trim(), confidence: 0.6 };
  return null;
}

/** A URL the reporter pasted, or a page/screen/tab/button they name. */
export function extractWhere(parsed: ParsedText): { value: string; confidence: number } | null {
  const url = /\bhttps?:\/\/[^\s)>\]]+/i.exec(
    parsed.clean.replace(/\[[^\]]*\]\(https?:\/\/[^)]*\/(?:files|assets)\/[^)]*\)/g, ''),
  );
  if (url && !/github\.com\/.+\/(files|issues|assets)|user-images|user-attachments/.test(url[0])) {
    return { value: url[0], confidence: 0.7 };
  }
  const ui =
    /\b(?:(?:on|in|from|at|under|via|using)\s+|click(?:ing)?\s+(?:on\s+)?|press(?:ing)?\s+|tap(?:ping)?\s+on\s+)(?:the |my )?((?:["'“][^"'”]{2,40}["'”]|[\w+-]+(?: [\w+-]+){0,3}) (?:page|screen|tab|button|menu|dropdown|drop-down|dialog|modal|popup|window|settings|dashboard|list|panel|toolbar|view|form|card|sidebar))\b/i.exec(
      parsed.clean,
    );
  if (ui) return { value: ui[1].trim(), confidence: 0.55 };
  return null;
}

/** The reporter's statement of what goes wrong, and how specific it is. */
export function extractActual(parsed: ParsedText): { value: string; confidence: number } | null {
  const section = sectionText(parsed, 'actual');
  if (section && !isVague(section)) {
    return { value: firstSentence(section), confidence: specific(section) ? 0.75 : 0.6 };
  }
  const body = parsed.preamble || parsed.clean;
  if (!meaningful(body)) return null;
  const line = firstSentence(body);
  return { value: line, confidence: !isVague(line) && specific(body) ? 0.55 : 0.3 };
}

/** True when the text names an observable outcome, not just "it doesn't work". */
export function specific(text: string): boolean {
  return /\b(error|exception|fail(?:s|ed|ure)?|crash(?:es|ed)?|freez(?:e|es|ing)|frozen|hang(?:s|ing)?|blank|white|empty|missing|not (?:shown|showing|displayed|appear|visible|loading)|doesn'?t (?:show|appear|load|open|start|display|update|find|recogni[sz]e)|won'?t (?:start|open|load)|nothing happens|flash(?:es|ing)|blurry|low quality|pixelated|distorted|cut off|wrong|incorrect|duplicate[sd]?|disappear(?:s|ed)?|slow|timeout|timed out|\d{3}\b|undefined|null|cannot read|unable to|asks? (?:again|every ?time)|not respond(?:ing)?|does nothing|stuck|spinner|loop)/i.test(
    text,
  );
}
