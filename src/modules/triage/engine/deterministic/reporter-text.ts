/**
 * Reading the reporter's own words: issue-template sections, numbered steps, "expected"
 * phrasing, environment mentions, frequency and impact. Pure.
 */
import type { FactKey } from '../triage.types';

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

/**
 * Heading words → fact key, for issue forms and Markdown sections in any repository. Order
 * matters: "Reproduces how often" is frequency, not steps; "Can you reproduce it on the demo
 * site?" is a yes/no form question, not the steps; "Python version" is the environment the
 * product runs in, "App version" is the product's own version.
 */
const HEADING_KEYS: [RegExp, SectionKey][] = [
  [/how often|frequency|reproducib|occurrence/i, 'frequency'],
  [/^(?:can|could|will|would|did|have|has|is|are|do|does|were|was)\b/i, 'other'],
  [/expect|desired|should happen|intended/i, 'expected'],
  [/steps|reproduc|how to trigger|what did you do|what were you doing/i, 'steps'],
  [
    /\blogs?\b|console|stack ?trace|traceback|crash (?:report|file|log)|error output|\boutput\b/i,
    'logs',
  ],
  [
    /actual|went wrong|happened instead|describe the (?:bug|issue|problem)|the problem|^problem|^bug\b|^issue$|^(?:bug |issue )?description|what happened|current behaviou?r|^error|^summary|^symptom/i,
    'actual',
  ],
  [
    /\b(?:os|operating system|browser|platform|device|hardware|python|node(?:\.?js)?|java|ruby|php|go|docker|kubernetes|database|postgres(?:ql)?|mysql|runtime)\b/i,
    'environment',
  ],
  [/version|release|\bbuild\b|commit/i, 'version'],
  [/environment|configuration|setup|system/i, 'environment'],
  [/\burl\b|web ?page|website|link to the page|where/i, 'where'],
  [
    /screenshot|recording|video|image|additional|context|checklist|attach|link|regards|notes?$|anything else|workaround|prerequisites|search|duplicate|code of conduct/i,
    'other',
  ],
];

/**
 * The answers an issue form leaves when a field was skipped ("_No response_"), and the
 * reporter's own "none" or "-": a section holding only this says nothing.
 */
const EMPTY_ANSWER =
  /^(?:_?no response_?|n\/?a|none|nothing|no|-+|\.+|tbd|todo|\?+|null|unknown|not sure|idk)[.!]?$/i;

/**
 * Lines that generic issue templates put there for the reporter to replace. These are the
 * phrasings of GitHub's default templates and of the common forms built on them, matched by
 * shape, not by any one repository's wording.
 */
const PLACEHOLDER_LINES: RegExp[] = [
  // Example steps with quoted ellipses: "1. Go to '...'", "Click on '....'".
  /(?:^|\s)["'‘“]\.{2,}["'’”]/,
  /^(?:\d+[.)]\s*)?see (?:the )?error\.?$/i,
  /^(?:\d+[.)]\s*)?\.{2,}$/,
  /^(?:\d+[.)]|[-*])?\s*$/,
  // Template instructions.
  /^(?:_|\*)?(?:a|an) (?:clear|short|concise|brief|detailed) (?:and concise |and detailed )?(?:description|explanation|summary)\b/i,
  /^(?:_|\*)?(?:steps|how) to reproduce the (?:behaviou?r|bug|issue|problem)\s*:?\s*(?:_|\*)?$/i,
  /^(?:_|\*)?if applicable\b/i,
  /^(?:_|\*)?add (?:any|some) (?:other|more|additional) (?:context|information|details)\b/i,
  /^(?:_|\*)?(?:please )?(?:describe|explain)(?: (?:the|your) (?:bug|issue|problem))?\.?(?:_|\*)?$/i,
  /^(?:_|\*)?(?:please |kindly )?(?:add|describe|explain|paste|put|provide|include|list|write|attach|enter|tell us)\b.*\b(?:here|below)[.:]?\s*(?:_|\*)?$/i,
  /^(?:_|\*)?(?:e\.g\.|eg\.|for example|example:)/i,
  /\bto (?:see|find|check|get) (?:the|your)(?: [\w-]+){0,2} (?:version|logs?|build)\b/i,
  // A whole line in emphasis that ends like an instruction: "*Please describe.*"
  /^([*_])[^*_]{3,160}[.:?]\1$/,
  // Checkboxes: an unticked box says nothing; a ticked acknowledgement is not about the bug.
  /^[-*]\s*\[ \]/,
  // (A ticked "I have updated to the latest version" or "I tried another browser" stays: it is
  // about the bug.)
  /^[-*]\s*\[[xX]\]\s*(?:i(?: have|'ve)? (?:searched|read|agree|confirm|understand|checked (?:for|the|existing|open|closed))|i am not|this is not a duplicate|.*code of conduct|.*(?:existing|open|closed|similar) (?:issues|reports)|.*(?:guidelines|documentation|faq|contributing))/i,
  /^<!--.*-->$/,
];

const PLACEHOLDER_PHRASES: RegExp[] = [
  /\((?:add|insert|attach) (?:a )?screenshots?\)/gi,
  /\[(?:version|your version|insert version) here\]/gi,
  /<!--[\s\S]*?-->/g,
];

function headingOf(line: string): { heading: string; rest: string; strong: boolean } | null {
  const md = /^#{1,6}\s*(.+?)\s*#*$/.exec(line);
  if (md) return { heading: md[1].replace(/\*+/g, '').trim(), rest: '', strong: true };
  const bold = /^\*\*(.+?):?\*\*:?\s*(.*)$/.exec(line);
  if (bold) return { heading: bold[1].trim(), rest: bold[2], strong: false };
  const label = /^(?:[-*]\s*)?([A-Za-z][\w &'/(),.-]{2,70}?)(?::|\?)\s*(.*)$/.exec(line);
  if (label) return { heading: label[1].trim(), rest: label[2], strong: false };
  return null;
}

/**
 * "…press Save. Expected: it saves. Actual: an error." written on one line: each label that names
 * a fact, after the end of a sentence, starts a line of its own.
 */
function inlineLabels(line: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const m of line.matchAll(/(?<=[.!?])\s+(?=([A-Z][A-Za-z ]{2,30}):\s)/g)) {
    const key = keyOfHeading(m[1]);
    if (!key || key === 'other') continue;
    parts.push(line.slice(start, m.index));
    start = m.index + m[0].length;
  }
  parts.push(line.slice(start));
  return parts;
}

function keyOfHeading(heading: string): SectionKey | null {
  const words = heading.replace(/[*_`]/g, '').trim();
  for (const [pattern, key] of HEADING_KEYS) if (pattern.test(words)) return key;
  return null;
}

/** Removes template placeholders, images and empty list items. */
export function stripPlaceholders(text: string): string {
  let out = text;
  for (const p of PLACEHOLDER_PHRASES) out = out.replace(p, '');
  return (
    out
      .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
      .replace(/<img\b[^>]*>/gi, '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      // Blank lines stay: they end the title line and separate paragraphs.
      .filter((l) => !l || (!PLACEHOLDER_LINES.some((p) => p.test(l)) && !EMPTY_ANSWER.test(l)))
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/** Splits a report into template sections. Unknown "Label:" lines stay as content. */
export function parseReporterText(text: string): ParsedText {
  const lines = text.split(/\r?\n/).flatMap(inlineLabels);
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
    // A one-line answer under a steps heading ("Open the app") is the reporter's whole repro.
    if (kept.length === 1) return { items: kept, confidence: 0.6 };
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
  if (action) return { items: [action[0].trim()], confidence: 0.45 };
  // "When pressing the Branches button it shows…", "after clicking Print", "if you hover over
  // the legend": the trigger, said without "I".
  const trigger =
    /\b(?:when|whenever|after|while|upon|by|on) (?:clicking|pressing|tapping|opening|editing|saving|exporting|importing|uploading|selecting|hovering|dragging|dropping|switching|trying|creating|deleting|removing|adding|running|printing|loading|changing|typing|using|navigating|logging|signing|scrolling|zooming|resizing|pasting|sending|searching|sorting|filtering|refreshing)\b[^.!?\n]{3,100}|\b(?:if|when|whenever) you [^.!?\n]{6,100}/i.exec(
      parsed.clean,
    );
  if (trigger) return { items: [trigger[0].trim()], confidence: 0.45 };
  // "Crashes on startup": starting the app is the whole repro.
  const startup =
    /\b(?:on|at|during|after) (?:start ?up|launch|boot|opening (?:the )?app)\b|\b(?:when|after|as soon as) (?:i |we )?(?:start|open|launch|run)(?:ing)? (?:the |my )?(?:app|application|program|client|it)\b|\bwon'?t (?:start|launch|open)\b|\b(?:fails|failed|unable) to (?:start|launch)\b/i.exec(
      parsed.clean,
    );
  return startup ? { items: ['Start the app'], confidence: 0.5 } : null;
}

/** A markdown link to an uploaded file (`[log.txt](https://github.com/o/r/files/1/log.txt)`). */
const ATTACHMENT_LINK =
  /\[[^\]]*\]\(https?:\/\/[^)\s]*(?:\/files\/|user-attachments|user-images|\/assets\/)[^)\s]*\)/g;

/**
 * The sentences of a text, in order. A blank line ends a sentence (a title line above the
 * body), and so does a line break before a capital letter ("Export broken\nI click…").
 */
export function sentences(text: string): string[] {
  return text
    .replace(ATTACHMENT_LINK, '')
    .replace(/\[([^\]]+)\]\((?:https?:\/\/)[^)\s]*\)/g, '$1')
    .split(/\r?\n\s*\r?\n|\r?\n(?=\s*["'“]?[A-Z])/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .flatMap((p) => p.split(/(?<=[a-z\d)"'”][.!?]["'”]?)\s+(?=["'“]?[\p{L}\d])/u))
    .map((s) => s.replace(/^[#>*\s-]+/, '').trim())
    .filter((s) => meaningful(s));
}

function firstSentence(text: string, max = 200): string {
  const s = sentences(text)[0] ?? text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const GREETING =
  /^(hi|hello|hey|dear|good (morning|afternoon|evening)|thanks?( you)?|greetings)\b[^.!?]{0,30}[.!?,]?$/i;

/** A sentence that says something about the bug: not a greeting, at least two words. */
export function isStatement(sentence: string): boolean {
  return !GREETING.test(sentence.trim()) && (sentence.match(/[\p{L}\d]+/gu) ?? []).length >= 2;
}

const GERUND: Record<string, string> = {
  click: 'Clicking',
  press: 'Pressing',
  tap: 'Tapping',
  hit: 'Hitting',
  select: 'Selecting',
  choose: 'Choosing',
  submit: 'Submitting',
};

/** What a symptom reads like after "Clicking X …"; null when it is not one we recognise. */
function symptomPhrase(rest: string): string | null {
  const t = rest
    .trim()
    .replace(/^(?:then|and|but|so)\s+/i, '')
    .replace(/[.!?:;,]+$/, '');
  if (
    /^(?:(?:absolutely |just )?nothing(?: at all)?(?: happens| is happening| happened)?|it (?:does|did) nothing|it (?:doesn'?t|does not|didn'?t|did not) do anything)\b/i.test(
      t,
    )
  ) {
    return 'does nothing';
  }
  const it =
    /^it(?: just)? ((?:spins|keeps (?:spinning|loading)|loads forever|hangs|freezes|crashes|goes blank|turns (?:blank|white)|shows|says|displays|throws|returns|fails|times out|reloads|redirects)\b.*)$/i.exec(
      t,
    );
  if (it && it[1].length <= 80) return it[1];
  const see = /^(?:i|we) (?:get|got|see|saw) (.{3,80})$/i.exec(t);
  if (see && specific(see[1])) return `shows ${see[1]}`;
  return null;
}

/** A UI element and where it sits: `Export CSV` and `on the reports page`. */
function splitPlace(target: string): { element: string; place: string | null } {
  const m =
    /^(.+?)\s+((?:on|in|from) (?:the |my |our )?[\w -]{2,30}? (?:page|screen|tab|menu|dialog|modal|panel|view|form|list|toolbar|sidebar|dashboard))$/i.exec(
      target,
    );
  return m ? { element: m[1], place: m[2] } : { element: target, place: null };
}

export interface ActionSymptom {
  /** `Clicking Export CSV on the reports page does nothing`. */
  sentence: string;
  /** `Export CSV does nothing`: the element and its symptom, for a title. */
  short: string;
  /** `on the reports page`, when the reporter named the place. */
  place: string | null;
  /** What they did, in their words: `click` and `Export CSV on the reports page`. */
  verb: string;
  target: string;
}

/**
 * "I click Export CSV on the reports page and nothing happens" as a third-person statement of a
 * specific action and its symptom; null when the sentence is not that shape.
 */
export function actionSymptom(sentence: string): ActionSymptom | null {
  const act =
    /\b(?:(?:when|whenever|every ?time|if|after) )?(?:i|we) (?:then )?(?:(?:try|tried) to )?(click|press|tap|hit|select|choose|submit)(?:s|ed|ped)?(?: on)? (?:the )?/i.exec(
      sentence,
    );
  if (!act) return null;
  const after = sentence.slice(act.index + act[0].length);
  // "Save and Close and nothing happens": try each break, shortest element first.
  const breaks = /,\s*(?:(?:and|but|then|so)\s+)*|\s+(?:(?:and|but|then|so)\s+)+/gi;
  for (let b = breaks.exec(after); b; b = breaks.exec(after)) {
    const target = after.slice(0, b.index).trim();
    if (target.length < 2 || target.length > 60 || target.split(/\s+/).length > 8) break;
    const symptom = symptomPhrase(after.slice(b.index + b[0].length));
    if (!symptom) continue;
    const { element, place } = splitPlace(target);
    return {
      sentence: `${GERUND[act[1].toLowerCase()]} ${target} ${symptom}`,
      short: `${element} ${symptom}`,
      place,
      verb: act[1].toLowerCase(),
      target,
    };
  }
  return null;
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
 * The expected result when the failure itself says it: nobody expects a crash, a blank page, a
 * spinner that never stops or an error. Null when the statement could be intended behaviour
 * ("the total is different from the chart"): then only the reporter knows what is right.
 */
export function evidentExpectation(statement: string): { value: string; evidence: string } | null {
  const rules: [RegExp, string, string][] = [
    [
      /\bcrash(?:es|ed|ing)?\b|\bquits? unexpectedly\b|\bcloses? (?:itself|unexpectedly)\b/i,
      'It keeps running without crashing',
      'a crash',
    ],
    [
      /\b(?:freez(?:es|ing)|froze|frozen|hangs?|hanging|hung|unresponsive|not responding)\b/i,
      'It stays responsive',
      'a freeze',
    ],
    [
      /\b(?:blank|white screen|empty (?:page|screen|window))\b/i,
      'The page or window shows its content',
      'a blank screen',
    ],
    [
      /\b(?:loads? forever|loading forever|keeps? (?:loading|spinning)|stuck (?:in|on|at)? ?loading|never (?:finishes|loads|ends)|spinner forever|infinite (?:loading|spinner))\b/i,
      'It finishes loading',
      'endless loading',
    ],
    [
      /\b(?:won'?t|doesn'?t|does not|can'?t|cannot|fails? to|unable to|not) (?:start|launch|open|load)\b|\bnot loading\b/i,
      'It opens and loads normally',
      'something that does not open or load',
    ],
    [
      /\b(?:error|exception|\b5\d\d\b|traceback|fails?|failed|failing)\b/i,
      'It works without the error',
      'an error',
    ],
    [
      /\b(?:disappear(?:s|ed|ing)?|vanish(?:es|ed)?|(?:is|are|gets?|got) lost|missing)\b/i,
      'What was there stays there',
      'something that disappears',
    ],
    [
      /\b(?:nothing happens|does nothing|doesn'?t do anything|not responding to clicks|no response)\b/i,
      'The action takes effect',
      'an action with no effect',
    ],
  ];
  for (const [pattern, value, what] of rules) {
    const m = pattern.exec(statement);
    if (m) return { value, evidence: `${what} ("${m[0]}") is never the intended behaviour` };
  }
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
  /\b(windows\s*(?:\d+(?:\.\d+)*|xp|vista|server)?|win\s?(?:7|8|10|11)|mac\s?os(?:\s*x)?(?:\s*\d+(?:\.\d+)*)?|os\s?x|high sierra|sierra|mojave|catalina|big sur|monterey|ventura|sonoma|sequoia|mac intel|macbook|\bmbp\b|linux|ubuntu(?:\s*[\d.]+)?|debian|fedora|arch linux|opensuse|centos|red ?hat|rhel|android(?:\s*[\d.]+)?|ios\s?(?:\d+(?:\.\d+)*)?|ipados|iphone|ipad|chrome\s?os|chromebook)\b/i;
const BROWSER =
  /\b(chrome|chromium|firefox|safari|edge|opera|brave|vivaldi|internet explorer|ie\s?11)\b(?:\s*(?:version\s*)?v?[\d.]+)?/i;
/** An OS, browser or runtime name just before a number: the number is theirs, not the product's. */
const PLATFORM_BEFORE =
  /\b(?:windows|win|mac\s?os(?: x)?|os x|ios|ipados|android|ubuntu|debian|fedora|linux|kernel|chrome|chromium|firefox|safari|edge|opera|brave|vivaldi|python|node(?:\.?js)?|npm|java|jdk|go|ruby|php|postgres(?:ql)?|mysql|mariadb|redis|docker|kubernetes|k8s|helm|electron|nginx|apache|openssl|\.net|gcc|clang)\s*v?$/i;
const VERSION_NUMBER = /\bv?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?\b/g;
const VERSION_WORD =
  /\b(?:(?:the )?latest (?:version|release|build|update|stable|nightly|beta|master|main|dev)|latest-dev|nightly(?: build)?|canary|insiders?(?: build)?|(?:master|main|develop) branch|built from (?:source|master|main)|commit [0-9a-f]{7,40})\b/i;

/** OS, browser and device mentions in the reporter's words, as one line; null when none. */
export function extractEnvironment(
  parsed: ParsedText,
): { value: string; confidence: number } | null {
  const section = sectionText(parsed, 'environment');
  const text = parsed.clean;
  const found = [OS, BROWSER]
    .map((p) =>
      p
        .exec(text)?.[0]
        ?.trim()
        .replace(/[.,;:]+$/, ''),
    )
    .filter((m): m is string => !!m);
  if (section && meaningful(section)) {
    const line = section.replace(/\s+/g, ' ').slice(0, 200);
    return { value: line, confidence: found.length ? 0.8 : 0.6 };
  }
  if (!found.length) return null;
  return { value: [...new Set(found)].join(', '), confidence: found.length >= 2 ? 0.7 : 0.55 };
}

/**
 * The product's version in the reporter's words: a version section ("App version: 3.7.11"), a
 * number after "version"/"v" or a product name, or "latest", "nightly", a commit. Numbers that
 * belong to an OS, a browser or a runtime ("Windows 10", "Chrome 120.0", "Python 3.9") are not it.
 */
export function extractVersion(parsed: ParsedText): { value: string; confidence: number } | null {
  for (const section of parsed.sections) {
    // A bare "5.1" is a whole answer here, though too short to be a sentence anywhere else.
    if (section.key !== 'version' || !/\d|\p{L}{3,}/u.test(section.text)) continue;
    return { value: section.text.replace(/\s+/g, ' ').slice(0, 120), confidence: 0.8 };
  }
  const text = parsed.clean.replace(/!\[[^\]]*\]\([^)]*\)|https?:\/\/\S+/g, ' ');
  const named =
    /\b(?:version|ver\.?|release|build|v)\s*[:#]?\s*(v?\d+(?:\.\d+)+(?:[-+][\w.]+)?)/i.exec(text);
  if (named) return { value: named[0].trim(), confidence: 0.75 };
  for (const m of text.matchAll(VERSION_NUMBER)) {
    const before = text.slice(Math.max(0, m.index - 24), m.index);
    if (PLATFORM_BEFORE.test(before.trimEnd())) continue;
    // A date (2024.05.02), a time or a size is not a version.
    if (
      /^\d{4}\.\d{1,2}\.\d{1,2}$/.test(m[0]) ||
      (/^\d+\.\d+$/.test(m[0]) && !/\b[a-z][\w-]*\s+$/i.test(before))
    ) {
      continue;
    }
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 4);
    if (/^\s*(?:%|mb|gb|kb|ms|s\b|px|x\b|°)/i.test(after)) continue;
    const product = /([A-Za-z][\w.-]{1,30})\s+$/.exec(before)?.[1];
    return { value: product ? `${product} ${m[0]}` : m[0], confidence: 0.65 };
  }
  const word = VERSION_WORD.exec(text);
  return word ? { value: word[0], confidence: 0.6 } : null;
}

/** "It still happens on the latest version", "tried the nightly": the reporter tested a newer build. */
export function statesLatest(text: string): boolean {
  return /\b(?:still (?:happens|occurs|present|there|broken|reproducible)|also (?:happens|occurs)|same)\b[^.!?\n]{0,40}\b(?:latest|newest|nightly|master|main|current|beta|canary)\b|\b(?:on|with|in|using|tried|updated to|upgraded to|running) (?:the )?(?:latest|newest|most recent) (?:version|release|build|update)|\blatest-dev\b|\bnightly\b/i.test(
    text,
  );
}

/** A log, stack trace or console output: a log section, a code block of log lines, a log file. */
export function extractLogs(
  parsed: ParsedText,
  raw: string,
): { value: string; confidence: number } | null {
  const section = sectionText(parsed, 'logs');
  if (section && !isVague(section) && !/^(?:no|none|nothing|n\/a)\b/i.test(section.trim())) {
    return { value: firstLine(section), confidence: 0.8 };
  }
  const block = /```[^\n]*\n([\s\S]*?)```/.exec(raw)?.[1] ?? indentedBlock(raw);
  if (block && LOG_LINE.test(block)) return { value: firstLine(block), confidence: 0.8 };
  const file =
    /\[[^\]]*\]\([^)\s]+\.(?:log|txt|har|dmp|crash|ips|zip|gz)\)|\b[\w.-]+\.(?:log|har|dmp|ips)\b/i.exec(
      raw,
    );
  if (file) return { value: file[0], confidence: 0.7 };
  const trace = STACK_LINE.exec(raw);
  if (trace) return { value: firstLine(trace[0]), confidence: 0.7 };
  const console =
    /\b(?:console|devtools|dev tools|log|logs|server log|network tab)\b[^.!?\n]{0,40}\b(?:says|shows|showed|reports|prints|printed|gives|throws)\b[^\n]{3,}/i.exec(
      raw,
    );
  if (console) return { value: firstLine(console[0]), confidence: 0.6 };
  return null;
}

const LOG_LINE =
  /\b(?:error|exception|traceback|warn(?:ing)?|fatal|panic|failed|uncaught|caused by|errno|stack)\b|^\s+at\s+\S+|\d{2}:\d{2}:\d{2}|\[(?:error|warn|info|debug)\]/im;
const STACK_LINE =
  /^\s*(?:at\s+[\w$.<>]+\s*\([^)]*:\d+(?::\d+)?\)|Traceback \(most recent call last\)|Exception in thread|[\w.]+(?:Error|Exception): .+\n\s+at\s)/m;

function indentedBlock(raw: string): string | null {
  const lines = raw.split(/\r?\n/).filter((l) => /^(?: {4}|\t)\S/.test(l));
  return lines.length >= 2 ? lines.join('\n') : null;
}

function firstLine(text: string, max = 160): string {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => meaningful(l)) ?? text.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A screenshot, image or screen recording in the report (Markdown, HTML or a video link). */
export function hasMedia(raw: string): boolean {
  return /!\[[^\]]*\]\(|<img\b|<video\b|user-images\.githubusercontent|user-attachments|\.(?:png|jpe?g|gif|webp|mp4|mov|webm)\b|\b(?:loom\.com|youtu\.?be|vimeo\.com|imgur\.com|gyazo\.com|monosnap\.com|prnt\.sc|cl\.ly|streamable\.com|screencast\.com|droplr\.com|d\.pr)\b|\b(?:screenshot|screencast|screen recording|video)\b[^\n]{0,40}https?:\/\//i.test(
    raw,
  );
}

/**
 * How often it happens, read one way everywhere (report, answers, ticket): "every time",
 * "sometimes", "once"… A negation flips "every time" to "sometimes" ("doesn't happen every
 * time", "not always"). Null when the text says nothing about it.
 */
export function extractFrequency(parsed: ParsedText): string | null {
  const section = sectionText(parsed, 'frequency');
  if (section) return section.replace(/\s+/g, ' ').slice(0, 120);
  return frequencyOf(parsed.clean);
}

const NOT_ALWAYS =
  /(?:\bnot|n'?t|\bnever)\s+(?:happen(?:s|ing)?\s+|occur(?:s|ring)?\s+|reproduc\w*\s+)?(?:every ?time|always|each time|all the time|consistently|100%)|\bnot (?:reliably|consistently) reproduc/i;
const FREQUENCY =
  /\b(every ?time|each time|always|100%(?: of the time)?|all the time|constantly|consistently|reliably|sometimes|occasionally|intermittent(?:ly)?|randomly|at random|now and then|from time to time|(?:happen(?:ed|s)?|occur(?:red|s)?|seen|saw it|got it|only) (?:once|twice)|(?:once|twice) (?:a|per|in|this|today|so far|now)|several times|a few times|rarely|every (?:day|morning|week)|whenever|keeps?\s+\w+ing|(?:only )?once in a while)\b/i;

/** The frequency words of a text ("every time", "sometimes"), with negations read right. */
export function frequencyOf(text: string): string | null {
  const not = NOT_ALWAYS.exec(text);
  if (not) return `sometimes (${not[0].trim()})`;
  const m = FREQUENCY.exec(text);
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
  if (broad) return { value: wholeWords(broad[0], parsed.clean, broad.index), confidence: 0.7 };
  const blocked =
    /\b(blocked|blocking|can'?t (?:work|continue|use|do|save|log ?in|sign ?in|push|pay|access)|cannot (?:work|continue|use|save|push|access)|unable to (?:work|continue|use|save|push|access)|won'?t (?:start|open|launch)|(?:urgent|asap|critical)|lost (?:my |all |our )?(?:data|work|changes))[^.!?\n]{0,60}/i.exec(
      parsed.clean,
    );
  if (blocked) {
    return { value: wholeWords(blocked[0], parsed.clean, blocked.index), confidence: 0.6 };
  }
  return null;
}

/** A match cut by a length limit, ended at the last whole word instead of mid-word. */
function wholeWords(match: string, text: string, index: number): string {
  const next = text.charAt(index + match.length);
  const cut = /[\p{L}\d]/u.test(next)
    ? match.replace(/\s*\S*$/, '').replace(/(?:\s+(?:a|an|the|to|of|or|and|in|on|for|with))+$/i, '')
    : match;
  return (cut.trim() || match.trim()).replace(/[,;:]+$/, '');
}

/** A URL the reporter pasted, or a page/screen/tab/button they name. */
export function extractWhere(parsed: ParsedText): { value: string; confidence: number } | null {
  // The full stop or comma after a pasted link ends the sentence, not the URL.
  const url = /\bhttps?:\/\/[^\s)>\]]*[^\s)>\].,;:!?'"]/i.exec(
    parsed.clean.replace(/\[[^\]]*\]\(https?:\/\/[^)]*\/(?:files|assets)\/[^)]*\)/g, ''),
  );
  // A link to a screenshot, a script or a download is evidence, not the page it happened on.
  const asset =
    /github\.com\/.+\/(files|issues|assets)|user-images|user-attachments|\.(?:png|jpe?g|gif|webp|svg|mp4|mov|webm|js|mjs|css|map|zip|gz|log|txt)(?:[:?#]|$)/i;
  if (url && !asset.test(url[0]) && !hasMedia(url[0])) {
    return { value: url[0], confidence: 0.7 };
  }
  const ui =
    /\b(?:(?:on|in|from|at|under|via|using)\s+|click(?:ing)?\s+(?:on\s+)?|press(?:ing)?\s+|tap(?:ping)?\s+on\s+)(?:the |my )?((?:["'“][^"'”]{2,40}["'”]|[\w+-]+(?: [\w+-]+){0,3}) (?:page|screen|tab|button|menu|dropdown|drop-down|dialog|modal|popup|window|settings|dashboard|list|panel|toolbar|view|form|card|sidebar))\b/i.exec(
      parsed.clean,
    );
  // "in finally I saw issues list" is a sentence, not the name of a screen.
  if (
    ui &&
    !/\b(?:i|we|you|he|she|they|it|saw|see|was|were|is|are)\b/i.test(ui[1].replace(/["'“”]/g, ''))
  ) {
    return { value: ui[1].trim(), confidence: 0.55 };
  }
  return null;
}

/** The reporter's statement of what goes wrong, and how specific it is. */
export function extractActual(parsed: ParsedText): { value: string; confidence: number } | null {
  const section = sectionText(parsed, 'actual');
  if (section && !isVague(section)) {
    const said = sentences(section).filter(isStatement);
    const shaped = said.slice(0, 3).map(actionSymptom).find(Boolean);
    const telling = said.find((x) => !isVague(x) && specific(x)) ?? said[0];
    return {
      value: shaped ? shaped.sentence : tidy(telling ?? firstSentence(section)),
      confidence: specific(section) ? 0.75 : 0.6,
    };
  }
  const body = parsed.preamble || parsed.clean;
  if (!meaningful(body)) return null;
  // "…then it shows: "Something went wrong"": what the screen said, in quotes.
  const quoted = sentences(parsed.clean).find((s) => SHOWS_QUOTE.test(s));
  const said = sentences(body).filter(isStatement).slice(0, 6);
  const first = said[0] ?? firstSentence(body);
  // "Export is broken. I click Export CSV and nothing happens": the symptom says more.
  for (const s of said) {
    const shaped = actionSymptom(s);
    if (shaped) return { value: shaped.sentence, confidence: 0.6 };
  }
  if (isVague(first) || !specific(first)) {
    const better = said.find((s) => !isVague(s) && specific(s));
    if (better) return { value: tidy(better), confidence: 0.55 };
  }
  if (quoted && (isVague(first) || !specific(first)))
    return { value: tidy(quoted), confidence: 0.6 };
  return {
    value: tidy(first),
    confidence: !isVague(first) && specific(body) ? 0.55 : quoted ? 0.5 : 0.3,
  };
}

/** A message the screen showed, quoted: `shows "No data"`, `a popup saying 'Access denied'`. */
const SHOWS_QUOTE =
  /\b(?:shows?|showed|showing|says?|said|saying|displays?|displayed|reads|prints|returns|gives?|gave|get|got|popup|pop-up|toast|banner|message|error)\b[^.!?\n"“]{0,30}["“][^"”\n]{3,160}["”]/i;

/** A reporter's sentence as a fact: capitalised, without a trailing full stop or colon. */
function tidy(sentence: string, max = 200): string {
  const t = sentence
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.:;,]+$/, '');
  const capped = t.charAt(0).toUpperCase() + t.slice(1);
  return capped.length > max ? `${capped.slice(0, max - 1)}…` : capped;
}

/** True when the text names an observable outcome, not just "it doesn't work". */
export function specific(text: string): boolean {
  // "My orders look wrong" judges without saying what is seen: not specific.
  const judged = JUDGEMENT_ONLY.exec(text);
  if (judged && !OUTCOME.test(text.slice(0, judged.index))) return false;
  if (OUTCOME.test(text)) return true;
  // "Desktop notifications don't work", "Search no longer returns results": a named feature
  // and what it fails to do. "It doesn't work" names nothing.
  const negated = NEGATED.exec(text);
  if (!negated) return false;
  const subject = text.slice(0, negated.index).trim().split(/\s+/).slice(-3).join(' ');
  if (subject) return !VAGUE_SUBJECT.test(subject);
  // "Can't run a query in SQL Lab": no subject, but the thing they cannot do is named.
  const rest = text.slice(negated.index + negated[0].length).match(/[\p{L}\d]{2,}/gu) ?? [];
  return (
    /^(?:can'?t|cannot|can not|unable|not able|failed|fails|won'?t|doesn'?t|does not|no longer)/i.test(
      negated[0],
    ) && rest.length >= 1
  );
}

const JUDGEMENT_ONLY =
  /\b(?:looks?|seems?|is|are|was|were|went|goes|go|feels?)\s+(?:all\s+|really\s+|very\s+|a bit\s+)?(?:wrong|weird|strange|off|odd|funny|incorrect|broken|messed up)\s*[.!?]*\s*$/i;
const OUTCOME =
  /\b(error|exception|fail(?:s|ed|ure)?|crash(?:es|ed)?|freez(?:e|es|ing)|froze|frozen|hang(?:s|ing)?|blank|white|empty|missing|not (?:shown|showing|displayed|appear|visible|loading)|doesn'?t (?:show|appear|load|open|start|display|update|find|recogni[sz]e)|won'?t (?:start|open|load)|(?:will|does|did) not (?:show|appear|load|open|start|display|update|save)|nothing happens|flash(?:es|ing)|blurry|low quality|pixelated|distorted|cut off|\bno\b[^.!?\n]{0,30}\b(?:displayed|shown|showing|visible|appear\w*|loaded|found)\b|wrong|incorrect|differ(?:s|ent)?|mismatch\w*|inconsistent|(?:don'?t|doesn'?t) match|duplicate[sd]?|disappear(?:s|ed)?|slow|timeout|timed out|\d{3}\b|undefined|null|cannot read|unable to|asks? (?:again|every ?time)|not respond(?:ing)?|does nothing|stuck|spinner|loop|never (?:finish|load|end|complete|open|show|appear)\w*|hangs?|(?:takes|took) (?:minutes|hours|forever|ages)|jumps?|flicker\w*|overlap\w*|misalign\w*)/i;
const NEGATED =
  /\b(?:unable to|failed to|fails to|doesn'?t|does not|doest|don'?t|do not|didn'?t|did not|won'?t|will not|can'?t|cannot|can not|isn'?t|is not|aren'?t|are not|no longer|not|never|stopped)\s+(?:be\s+)?(?:able to\s+)?[a-z]{3,}/i;
const VAGUE_SUBJECT =
  /^(?:(?:it|its|it's|this|that|something|anything|everything|thing|stuff|nothing)|.*\b(?:it|its|it's|this|that|something|anything|thing|stuff))$/i;
