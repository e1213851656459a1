/**
 * Which questions to ask the reporter: only about gaps the evidence cannot fill, most
 * reproduction-blocking first, each grounded in what we already saw. Pure.
 */
import { KIND_FILLS } from '../triage.types';
import type {
  FactKey,
  FactPicture,
  Question,
  QuestionKind,
  TriageInput,
  TriagePolicy,
} from '../triage.types';
import { allows, type QuestionHints } from '../../../projects/policy';
import { askHistory, isKnown, pathOf, wallClock } from './facts';
import {
  actionSymptom,
  hasMedia,
  parseReporterText,
  sentences,
  statesLatest,
} from './reporter-text';

/**
 * Ask order. Without knowing what goes wrong nothing else helps (actual); without the path to it
 * nobody can reproduce it (steps); an error nobody has the text of needs its log (logs); a
 * product people run themselves needs its version (version, latest); "expected" tells a bug from
 * a misunderstanding when the failure does not say it; the rest narrows down where to try.
 */
export const QUESTION_PRIORITY: QuestionKind[] = [
  'actual',
  'steps',
  'logs',
  'version',
  'latest',
  'expected',
  'environment',
  'screenshot',
  'frequency',
  'where',
];

/** Gaps that hold a ticket back. The others only ride along with one of these. */
type Weight = 'blocking' | 'extra';

/** The questions for this turn, at most what the policy still allows. */
export function chooseQuestions(
  facts: FactPicture,
  input: TriageInput,
  policy: TriagePolicy,
): Question[] {
  if (!allows(policy, 'ask_reporter')) return [];
  const alreadyAsked = input.conversation.reduce((n, turn) => n + turn.questions.length, 0);
  const room = Math.min(MAX_PER_TURN, Math.max(0, policy.maxQuestions - alreadyAsked));
  if (room === 0) return [];
  const history = askHistory(input.conversation);
  const ground = grounding(facts, input, policy);
  const gaps = new Map<QuestionKind, Weight>();
  for (const kind of QUESTION_PRIORITY) {
    const weight = gapWeight(kind, facts, ground);
    if (!weight) continue;
    const record = history.get(KIND_FILLS[kind]);
    // One rephrased re-ask after a vague answer, never a third time; silence is not re-asked.
    if (record && !(record.asked === 1 && record.vague === 1)) continue;
    gaps.set(kind, weight);
  }
  const blocking = [...gaps].filter(([, w]) => w === 'blocking').map(([k]) => k);
  if (!blocking.length) return [];
  // At most one question that is only nice to have rides along with the blocking ones.
  const extra = [...gaps].find(([, w]) => w === 'extra')?.[0];
  const kinds = [...blocking, ...(extra ? [extra] : [])].slice(0, room);
  return kinds.map((kind) => ({
    key: KIND_FILLS[kind],
    kind,
    text: questionText(kind, ground, (history.get(KIND_FILLS[kind])?.asked ?? 0) > 0),
  }));
}

/** Three questions are already a lot to answer in one go. */
const MAX_PER_TURN = 3;

/** Whether a kind of question is worth asking now, and how much it matters; null to skip it. */
function gapWeight(kind: QuestionKind, facts: FactPicture, g: Grounding): Weight | null {
  const known = (key: FactKey) => isKnown(facts, key);
  switch (kind) {
    case 'actual':
      // "I click Export and nothing happens" already says what they see; asking again annoys.
      return known('actual') || g.symptom ? null : 'blocking';
    case 'steps':
      if (known('steps')) return null;
      // Something seen on a named screen, not done: there is no path to ask for, only whether
      // it happens again (frequency, below).
      return g.oneOff && !g.acted && known('where') ? null : 'blocking';
    case 'logs':
      // An error, crash or blank screen with nothing to read: the log says what broke. A hosted
      // app's customers are not asked to open developer tools unless the project says where
      // its logs are (its widget's recording captures the console instead).
      if (known('logs') || !g.failure) return null;
      if (g.versioned === false && !g.hints.logs) return null;
      return g.errorText ? 'extra' : 'blocking';
    case 'version':
      if (!g.versioned || known('version')) return null;
      // Neither a version nor where it runs: nobody could set up the same copy to try it.
      return g.versioned === true || INSTALLED.test(g.text) || !known('environment')
        ? 'blocking'
        : 'extra';
    case 'latest':
      // Only a project that says what its latest version is can tell an old one.
      if (g.versioned !== true || !g.latest || !known('version') || g.onLatest) return null;
      return facts.version?.value.includes(g.latest) ? null : 'blocking';
    case 'expected':
      // Asked only when the actual result is known and could be intended behaviour: a crash or
      // an error already says what was expected (an inferred fact, known).
      if (known('expected') || !known('actual')) return null;
      return 'blocking';
    case 'environment':
      if (known('environment')) return null;
      return g.clientSide ? 'extra' : null;
    case 'screenshot':
      return g.visual && !g.media && !g.recording ? 'extra' : null;
    case 'frequency':
      if (known('frequency') || g.recording) return null;
      // Never a filler beside other questions. A one-off seen once with nothing to repeat is
      // the exception: whether it happens again is then the real gap, and asked alone.
      return g.oneOff && !g.acted && !known('steps') ? 'blocking' : null;
    case 'where':
      // The steps lead to the place; the widget knows the page; a report posted by another
      // system (a public tracker) rarely has one page to name. A forwarded email may.
      return g.email && !known('where') && !known('steps') ? 'extra' : null;
    default:
      return null;
  }
}

interface Grounding {
  /** "We can see "Save" returned an error (500) on /billing at 14:02." */
  seen: string | null;
  /** "tried to switch branches", from the reporter's words. */
  action: string | null;
  /** The report is about a web page (widget, URL, browser words). */
  web: boolean;
  /** The reporter described what an action of theirs leads to (nothing, a spinner, a message). */
  symptom: boolean;
  /** A crash, an error, a blank screen, endless loading: something that is never intended. */
  failure: boolean;
  /** The reporter quoted the error's text. */
  errorText: boolean;
  /**
   * Reporters run a version of their own (an app, a self-hosted server): true when the project
   * says so or the report talks of installing, upgrading or a version; 'maybe' when nothing
   * says either way (a report posted to the API without a page, often from a public issue
   * tracker); false for the widget, forwarded emails and reports from a web page, whose
   * reporters use the hosted app as it is deployed.
   */
  versioned: boolean | 'maybe';
  /** The project's latest version, when its policy says. */
  latest: string | null;
  /** The reporter says it happens on the latest build. */
  onLatest: boolean;
  /** The symptom is in what the screen shows (layout, rendering, display). */
  visual: boolean;
  /** The symptom is in the browser or app (display, input), where the OS and browser matter. */
  clientSide: boolean;
  /** A screenshot or screen recording came with the report. */
  media: boolean;
  /** A session recording came with the report. */
  recording: boolean;
  /** Something seen once ("this morning the totals were wrong"), not a repeatable action. */
  oneOff: boolean;
  /** The reporter says what they did (clicked, opened, exported…), not only what they saw. */
  acted: boolean;
  hints: QuestionHints;
  /** The reporter wrote in a language other than English. */
  foreign: boolean;
  /** The report came by email. */
  email: boolean;
  /** Everything the reporter wrote, answers included. */
  text: string;
}

function grounding(facts: FactPicture, input: TriageInput, policy: TriagePolicy): Grounding {
  const text = [input.report.description, ...input.conversation.map((t) => t.answer ?? '')].join(
    '\n',
  );
  const web =
    input.report.source === 'widget' ||
    !!input.report.pageUrl ||
    /\b(website|web ?page|web ?site|web ?app|web ?ui|web ?interface|web ?client|browser|chrome|firefox|safari|edge|brave|url)\b/i.test(
      text,
    );
  const hints = policy.questionHints ?? {};
  const failure =
    (!!input.analysis?.failure && input.analysis.failure.reason !== 'end') ||
    !!input.sentryIssue ||
    FAILURE.test(text);
  const visual = VISUAL.test(text);
  return {
    seen: seenLine(input),
    action: reporterAction(text),
    web,
    symptom: statesSymptom(text),
    failure,
    errorText: ERROR_TEXT.test(text),
    versioned:
      hints.versioned ??
      (input.report.source === 'api' &&
      !input.report.pageUrl &&
      !input.analysis &&
      !input.sentryIssue
        ? 'maybe'
        : false),
    latest: hints.latest ?? null,
    onLatest: statesLatest(text),
    visual,
    clientSide: visual || CLIENT.test(text),
    media: hasMedia(text),
    recording: !!input.analysis,
    oneOff: ONE_OFF.test(text),
    acted: ACTED.test(text),
    hints,
    foreign: foreignLanguage(text),
    email: input.report.source === 'email',
    text,
  };
}

const FAILURE =
  /\b(?:crash(?:es|ed|ing)?|freez(?:es|ing)|frozen|hangs?|hung|blank|white screen|error|exception|traceback|fail(?:s|ed|ing|ure)?|\b5\d\d\b|(?:loads?|loading) forever|stuck (?:in |on |at )?loading|never (?:loads|finishes|completes|ends)|(?:takes|took) (?:minutes|hours|forever|ages)|not loading|won'?t (?:load|open|start)|doesn'?t (?:load|open|start))\b/i;
/** A quoted or emphasised error message, or an error line with its text. */
const ERROR_TEXT =
  /["“][^"”\n]{4,200}["”]\s*(?:error|message|appears|appeared|pops up|popped up|shows up|is shown|is displayed|toast|alert|dialog)\b|(?:error|exception|message|says|said|shows|showed|get|got)\b[^.!?\n]{0,30}(?:["“'`*]{1,2})[^"”'`*\n]{4,200}(?:["”'`*]{1,2})|\b\w*(?:Error|Exception): \S/;
const VISUAL =
  /\b(?:display(?:s|ed|ing)?|render(?:s|ed|ing)?|layout|overlap\w*|misalign\w*|cut off|blurry|pixelated|distorted|invisible|not visible|hidden|font|colou?r|dark ?mode|icon|zoom\w*|scroll\w*|flicker\w*|looks?|appear(?:s|ance)?|shows? up|ui\b|chart|graph|legend)\b/i;
const CLIENT =
  /\b(?:click\w*|tap\w*|drag\w*|paste\w*|copy\w*|keyboard|shortcut|mouse|touch|trackpad|notification\w*|popup|pop-up|window|desktop|mobile|phone|tablet|browser|editor|canvas)\b/i;
/** Words of software the reporter installed and runs: its version is theirs to tell. */
const INSTALLED =
  /\b(?:install(?:ed|ing|ation)?|self-?host(?:ed|ing)?|on-?prem(?:ise)?|upgrad(?:e|ed|ing)|updat(?:ed|ing) to|docker|helm|kubernetes|our (?:server|instance|deployment)|my (?:server|instance)|desktop app|the app(?:lication)?|version|release|build)\b/i;
const ACTED =
  /\b(?:i|we)\s+(?:\w+\s+){0,2}?(?:click|press|tap|open|select|type|enter|drag|drop|upload|export|import|save|submit|run|try|tried|use|used|go|went|navigate|log|sign|add|create|delete|edit|rename|move|send|paste|switch)\w*\b|\b(?:when|whenever|after|every ?time)\s+(?:i|we|you)\b/i;
const ONE_OFF =
  /\b(?:(?:this|yesterday) (?:morning|afternoon|evening)|yesterday|today|earlier today|last night|just now|suddenly|out of nowhere|one time|once)\b/i;

/**
 * A report written mostly in another language: the deterministic engine can only write English,
 * so it says the reporter may answer in their own.
 */
export function foreignLanguage(text: string): boolean {
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length < 12) return false;
  const latin = letters.filter((c) => /[a-zA-Z]/.test(c)).length;
  if (latin / letters.length < 0.6) return true;
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  const english = words.filter((w) => ENGLISH.has(w)).length;
  return words.length >= 8 && english / words.length < 0.06;
}

const ENGLISH = new Set(
  'the a an and or is are was were be it this that to of in on for with when i my we not no can cant doesnt dont does do have has but if after before from at by as so then there what which how'.split(
    ' ',
  ),
);

/** What the screen shows after an action: nothing, a spinner, a blank page, a quoted message. */
const SYMPTOM =
  /\b(nothing happens|(?:it )?does nothing|(?:doesn'?t|does not|didn'?t) do anything|spins|spinning|spinner|keeps loading|loads forever|stuck (?:on|at|loading)|blank|white screen|freez(?:es|ing)|frozen|crash(?:es|ed)?)\b|\b(?:error|message|says|said|shows|showed|popup|pop-up|toast|alert)\b[^.!?\n]{0,20}["“'][^"”'\n]{3,120}["”']|["“][^"”\n]{3,120}["”]\s*(?:error|message|appears|pops up|shows up)/i;

/** True when the reporter already said what they see when a specific action goes wrong. */
export function statesSymptom(text: string): boolean {
  const parsed = parseReporterText(text);
  return sentences(parsed.clean).some(
    (s) => SYMPTOM.test(s) && (!!actionSymptom(s) || ACTION.test(s)),
  );
}

/** A sentence about something the reporter did: a click, a save, an export… */
const ACTION =
  /\b(?:i|we|when|after|every ?time|whenever)\b[^.!?]{0,40}\b(?:click|press|tap|hit|select|choose|submit|open|save|export|upload|load|try|tried|trying|go|went|navigate|print|switch|push|log ?in|sign ?in)/i;

function seenLine(input: TriageInput): string | null {
  const analysis = input.analysis;
  const failure = analysis?.failure;
  if (analysis && failure && failure.reason !== 'end') {
    const when = analysis.startedAt
      ? ` at ${wallClock(analysis.startedAt + failure.t, input.report.timezone)}`
      : '';
    const page = pathOf(failure.url) ?? pathOf(analysis.startUrl);
    const on = page ? ` on ${page}` : '';
    const click = [...analysis.steps]
      .reverse()
      .find((s) => s.t <= failure.t && s.target?.name && /^Clicked /.test(s.text));
    const request = analysis.failedRequests.find((r) => r.t === failure.t);
    if (request) {
      const outcome = request.status ? `returned an error (${request.status})` : 'got no response';
      const what = click?.target?.name ? `the "${click.target.name}" button` : 'a request';
      return `We can see ${what}${on} ${outcome}${when}.`;
    }
    const error = analysis.errors.find((e) => e.t === failure.t);
    if (error) return `We can see an error ("${short(error.message, 80)}")${on}${when}.`;
    return `We can see this in your session${on}${when}: ${short(failure.text, 100)}.`;
  }
  if (input.sentryIssue) {
    return `We can see the error "${short(input.sentryIssue.title, 80)}" on our side.`;
  }
  return null;
}

function short(text: string, max: number): string {
  const line = text.split('\n')[0].replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const WORKAROUND =
  /^(un|re)?install|^re(start|boot|launch)|^(delete|clear|update|upgrade|log ?out|sign ?out|fix|look)/i;

/** "tried to switch branches" from "Whenever I try to switch branches, it…". */
function reporterAction(text: string): string | null {
  const action = rawAction(text);
  if (!action) return null;
  const words = action.split(/\s+/);
  // A phrase cut mid-way ("tried to get rid of") or too long to quote whole is not quoted.
  if (words.length > 8 || DANGLING.test(action)) return null;
  return action;
}

const DANGLING =
  /\b(?:of|to|the|a|an|with|for|in|on|at|from|and|or|my|your|as|one|by|into|than|that|this|is|are|be|was|were|it)$/i;

function rawAction(text: string): string | null {
  const parsed = parseReporterText(text);
  // The title and opening say what they were doing; later "tried to reinstall" is a workaround.
  const clean = (parsed.preamble || parsed.clean).slice(0, 400).replace(/\s+/g, ' ');
  const tried =
    /\b(?:try|tried|trying|attempt|attempted|attempting) to ([a-z][a-z' -]{3,48}?)(?=[,.!?;:]|\s+(?:but|and|it|using|with|in|on|through|via)\b|$)/i.exec(
      clean,
    );
  if (tried && WORKAROUND.test(tried[1])) return null;
  if (tried) return `tried to ${yourWords(tried[1])}`;
  const cant =
    /\b(?:i|we) (?:can'?t|cannot|can not|am unable to|was unable to|couldn'?t) ([a-z][a-z' -]{3,48}?)(?=[,.!?;:]|\s+(?:but|and|it|using|with|because)\b|$)/i.exec(
      clean,
    );
  if (cant) return `tried to ${yourWords(cant[1])}`;
  const shaped = sentences(clean).map(actionSymptom).find(Boolean);
  if (shaped && PAST[shaped.verb]) return `${PAST[shaped.verb]} ${yourWords(shaped.target)}`;
  const clicked =
    /\b(?:i|we) (?:then )?(click|press|tap|select|choose)(?:s|ed|ped)?(?: on)? ((?:the )?[^,.!?;]{2,48}?)(?=[,.!?;:]|\s+(?:and|but|then|it|nothing)\b|$)/i.exec(
      clean,
    );
  if (clicked) return `${PAST[clicked[1].toLowerCase()]} ${yourWords(clicked[2])}`;
  return null;
}

const PAST: Record<string, string> = {
  click: 'clicked',
  press: 'pressed',
  tap: 'tapped',
  hit: 'hit',
  select: 'selected',
  choose: 'chose',
  submit: 'submitted',
};

/**
 * The reporter's phrase in the second person, or null when it would not read as a whole phrase
 * ("get rid of", "the one of"): a question that quotes a broken phrase reads worse than one
 * that quotes nothing.
 */
function yourWords(phrase: string): string {
  return phrase
    .trim()
    .replace(/\bmy\b/gi, 'your')
    .replace(/\bmine\b/gi, 'yours')
    .replace(/\bI\b/g, 'you')
    .replace(/\bme\b/gi, 'you');
}

function questionText(kind: QuestionKind, g: Grounding, reask: boolean): string {
  const when = g.action ? `When you ${g.action}, ` : '';
  const lead = (s: string) => (when ? `${when}${s}` : `${s.charAt(0).toUpperCase()}${s.slice(1)}`);
  const sorry = reask ? 'Sorry to ask again: ' : '';
  switch (kind) {
    case 'actual':
      if (reask) {
        return 'Sorry to ask again: what do you see on the screen at the moment it goes wrong? The exact wording of any message, or a screenshot, helps a lot.';
      }
      return `${lead('what exactly happens?')} If a message appears, please copy its text.`;
    case 'steps':
      if (reask) {
        return 'Sorry to ask again: could you list exactly what you clicked or typed, one step per line, starting from opening the app or page?';
      }
      if (g.seen) return `${g.seen} What were you doing just before that, step by step?`;
      return `${lead('what did you do, step by step?')} A short numbered list is perfect (1. open …, 2. click …).`;
    case 'logs':
      if (g.hints.logs) {
        return `${sorry}Could you share the logs from around the time it happened? ${withStop(`You'll find them under ${g.hints.logs}`)}`;
      }
      if (g.web && !g.versioned) {
        return `${sorry}Could you open the browser's console (F12, then the Console tab), make it happen again and copy any red error lines here?`;
      }
      return g.web
        ? `${sorry}Could you copy any errors from the browser's console (F12, then Console) and from the server's log at the moment it happens?`
        : `${sorry}Could you share the log or crash output from around the time it happened? The exact error text helps most.`;
    case 'version':
      if (g.hints.version) {
        return `${sorry}Which version are you running? ${withStop(`You'll find it under ${g.hints.version}`)}`;
      }
      return `${sorry}Which version are you running (the exact number, for example 2.4.1)?`;
    case 'latest':
      return `${sorry}Does it still happen on the latest version${g.latest ? ` (${g.latest})` : ''}?`;
    case 'expected':
      if (reask) return 'Sorry to ask again: if everything had worked, what would you have seen?';
      return when
        ? `${when}what did you expect to see instead?`
        : 'What did you expect to see instead?';
    case 'where':
      if (reask) {
        return 'Sorry to ask again: could you paste the address (URL) of the page, or tell us the name of the screen you were on?';
      }
      return "Which page or screen were you on when this happened? A link or the page's name is perfect.";
    case 'environment':
      return g.web
        ? `${sorry}Which browser (and its version) and which operating system were you using, for example Chrome 126 on Windows 11?`
        : `${sorry}Which operating system and device are you on, for example Windows 11 or macOS 14?`;
    case 'screenshot':
      return `${sorry}Could you attach a screenshot or a short screen recording that shows it?`;
    case 'frequency':
      if (reask) return 'Sorry to ask again: if you try it again now, does it still happen?';
      return g.action
        ? `Does it happen every time you ${g.action.replace(/^tried to /, '')}, or only sometimes?`
        : g.oneOff
          ? 'Has it happened again since, and can you make it happen again?'
          : 'Does it happen every time, or only sometimes?';
    case 'impact':
      return 'Is this stopping you from getting your work done, or is there a way around it for now?';
    case 'when':
      return 'Roughly when did this happen (date and time)?';
  }
}

/** A hint as the end of a sentence, with one full stop. */
function withStop(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

/** One friendly message with every question numbered. */
export function renderQuestionMessage(
  questions: Question[],
  reporterName?: string | null,
  options: { ownLanguage?: boolean } = {},
): string {
  const name = reporterName?.trim().split(/\s+/)[0];
  const hello = name ? `Hi ${name}, thanks for reporting this!` : 'Hi, thanks for reporting this!';
  const intro =
    questions.length === 1
      ? 'One quick question so we can reproduce it:'
      : `${questions.length} quick questions so we can reproduce it:`;
  const list = questions.map((q, i) => `${i + 1}. ${q.text}`).join('\n');
  const close = options.ownLanguage
    ? 'A short reply in your own words is perfect, in any language.'
    : 'A short reply in your own words is perfect.';
  return `${hello} ${intro}\n\n${list}\n\n${close}`;
}
