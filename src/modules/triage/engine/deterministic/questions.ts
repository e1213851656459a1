/**
 * Which questions to ask the reporter: only about gaps the evidence cannot fill, most
 * reproduction-blocking first, each grounded in what we already saw. Pure.
 */
import type { TriagePolicy, FactKey, FactPicture, Question, TriageInput } from '../triage.types';
import { allows } from '../../../projects/policy';
import { askHistory, isKnown, pathOf, wallClock } from './facts';
import { actionSymptom, parseReporterText, sentences } from './reporter-text';

/**
 * Ask order. Without knowing what goes wrong nothing else helps (actual); without the path to it
 * nobody can reproduce it (steps); "expected" tells a bug from a misunderstanding; place and
 * environment narrow down where to try; frequency and impact set priority, not reproduction.
 */
export const QUESTION_PRIORITY: FactKey[] = [
  'actual',
  'steps',
  'expected',
  'where',
  'environment',
  'frequency',
  'impact',
];

/**
 * Never hold a ticket back alone. Frequency ("does it still happen?") may ride along with a
 * blocking question; impact is not asked as a filler, since severity already reads it from the
 * words, Sentry and the account, and "how bad is it" rarely changes how to fix it.
 */
const NICE_TO_HAVE: FactKey[] = ['frequency', 'impact'];
const RIDES_ALONG: FactKey[] = ['frequency'];

/** The questions for this turn, at most what the policy still allows. */
export function chooseQuestions(
  facts: FactPicture,
  input: TriageInput,
  policy: TriagePolicy,
): Question[] {
  if (!allows(policy, 'ask_reporter')) return [];
  const alreadyAsked = input.conversation.reduce((n, turn) => n + turn.questions.length, 0);
  const room = Math.max(0, policy.maxQuestions - alreadyAsked);
  if (room === 0) return [];
  const history = askHistory(input.conversation);
  const ground = grounding(facts, input);
  const gaps = QUESTION_PRIORITY.filter((key) => {
    if (isKnown(facts, key)) return false;
    // "I click Export and nothing happens" already says what they see; asking again annoys.
    if (key === 'actual' && ground.symptom) return false;
    // The steps lead to the place; asking "which page" on top adds nothing.
    if (key === 'where' && isKnown(facts, 'steps')) return false;
    // Outside a web page (a desktop app, a library) "which page" has no good answer.
    if (key === 'where' && !ground.web) return false;
    const record = history.get(key);
    if (!record) return true;
    // One rephrased re-ask after a vague answer, never a third time.
    return record.asked === 1 && record.vague === 1;
  });
  const blocking = gaps.filter((k) => !NICE_TO_HAVE.includes(k));
  if (!blocking.length) return [];
  // At most one nice-to-have rides along with the blocking questions.
  const extra = gaps.find((k) => RIDES_ALONG.includes(k));
  return [...blocking, ...(extra ? [extra] : [])].slice(0, room).map((key) => ({
    key,
    text: questionText(key, ground, (history.get(key)?.asked ?? 0) > 0),
  }));
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
}

function grounding(facts: FactPicture, input: TriageInput): Grounding {
  const text = [input.report.description, ...input.conversation.map((t) => t.answer ?? '')].join(
    '\n',
  );
  const web =
    input.report.source === 'widget' ||
    !!input.report.pageUrl ||
    /\b(website|web ?page|web app|chrome|firefox|safari|edge|url)\b/i.test(text);
  return { seen: seenLine(input), action: reporterAction(text), web, symptom: statesSymptom(text) };
}

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

function yourWords(phrase: string): string {
  return phrase
    .trim()
    .replace(/\bmy\b/gi, 'your')
    .replace(/\bmine\b/gi, 'yours')
    .replace(/\bI\b/g, 'you')
    .replace(/\bme\b/gi, 'you');
}

function questionText(key: FactKey, g: Grounding, reask: boolean): string {
  const when = g.action ? `When you ${g.action}, ` : '';
  const lead = (s: string) => (when ? `${when}${s}` : `${s.charAt(0).toUpperCase()}${s.slice(1)}`);
  switch (key) {
    case 'actual':
      if (reask) {
        return 'Sorry to ask again: what do you see on the screen at the moment it goes wrong? The exact wording of any message, or a screenshot, helps a lot.';
      }
      return `${lead('what exactly do you see on screen?')} If an error message appears, please copy its text.`;
    case 'steps':
      if (reask) {
        return 'Sorry to ask again: could you list exactly what you clicked or typed, one step per line, starting from opening the app or page?';
      }
      if (g.seen) return `${g.seen} What were you doing just before that, step by step?`;
      return `${lead('what did you do, step by step?')} A short numbered list is perfect (1. open …, 2. click …).`;
    case 'expected':
      if (reask) {
        return 'Sorry to ask again: if everything had worked, what would you have seen?';
      }
      if (g.seen)
        return `${g.seen} What were you trying to do there, and what did you expect to happen?`;
      return when ? `${when}what did you expect to see?` : 'What did you expect to happen instead?';
    case 'where':
      if (reask) {
        return 'Sorry to ask again: could you paste the address (URL) of the page, or tell us the name of the screen you were on?';
      }
      return `Which page or screen were you on when this happened? A link or the page's name is perfect.`;
    case 'environment':
      if (reask) {
        return 'Sorry to ask again: could you tell us the version number (usually under Help → About) and your operating system, e.g. Windows 11 or macOS 14?';
      }
      return g.web
        ? 'Which browser (and its version) and which operating system were you using, for example Chrome 126 on Windows 11?'
        : 'Which version of the app are you using, and on which operating system, for example Windows 11 or macOS 14?';
    case 'frequency':
      if (reask) return 'Sorry to ask again: if you try it again now, does it still happen?';
      return 'Does this happen every time you try, or only sometimes? And do you remember when it started?';
    case 'impact':
      if (reask) return 'Sorry to ask again: is anyone else on your team running into this too?';
      return 'Is this stopping you from getting your work done, or is there a way around it for now?';
    case 'when':
      return 'Roughly when did this happen (date and time)?';
    case 'version':
      return 'Which version are you using?';
    case 'logs':
      return 'Could you share any log output from around the time it happened?';
  }
}

/** One friendly message with every question numbered. */
export function renderQuestionMessage(questions: Question[], reporterName?: string | null): string {
  const name = reporterName?.trim().split(/\s+/)[0];
  const hello = name ? `Hi ${name}, thanks for reporting this!` : 'Hi, thanks for reporting this!';
  const intro =
    questions.length === 1
      ? 'One quick question so we can reproduce it:'
      : `${questions.length} quick questions so we can reproduce it:`;
  const list = questions.map((q, i) => `${i + 1}. ${q.text}`).join('\n');
  return `${hello} ${intro}\n\n${list}\n\nA short reply in your own words is perfect.`;
}
