/**
 * The ticket proposal written from the fact picture: a specific title, a short summary that
 * names its sources, steps, expected and actual, severity and labels. Pure.
 */
import type {
  Fact,
  FactKey,
  FactPicture,
  FactSource,
  Severity,
  TicketProposal,
  TriageInput,
} from '../triage.types';
import { templatePath } from '../../../../common/signals/route-template';
import { SUMMARY_SENTENCES_MAX, TITLE_PROSE_MAX } from './limits';
import { draftTitle } from './ticket-body';
import { ticketTitle } from './ticket-title';
import { pathOf } from '../deterministic/facts';
import {
  actionSymptom,
  isStatement,
  isVague,
  meaningful,
  parseReporterText,
  sentences,
  specific,
} from '../deterministic/reporter-text';

/** What each key is worth to someone trying to reproduce the bug; they sum to 1. */
const CONFIDENCE_WEIGHTS: Partial<Record<FactKey, number>> = {
  actual: 0.3,
  steps: 0.25,
  where: 0.15,
  environment: 0.15,
  expected: 0.15,
};

/** 0–1: how reproducible and actionable the picture is. */
export function ticketConfidence(facts: FactPicture): number {
  let total = 0;
  for (const [key, weight] of Object.entries(CONFIDENCE_WEIGHTS) as [FactKey, number][]) {
    total += weight * (facts[key]?.confidence ?? 0);
  }
  return Math.round(Math.min(1, Math.max(0, total)) * 100) / 100;
}

/** The ticket a person would file from this picture. */
export function writeTicket(facts: FactPicture, input: TriageInput): TicketProposal {
  return {
    title: title(facts, input),
    summary: summary(facts, input),
    steps: facts.steps?.items ?? [],
    expected: facts.expected?.value ?? null,
    actual: facts.actual ? withEvidence(facts.actual) : null,
    ...assessSeverity(facts, input),
    labels: labels(facts, input),
  };
}

function withEvidence(fact: Fact): string {
  return fact.evidence && fact.source !== 'reporter'
    ? `${fact.value} (${fact.evidence})`
    : fact.value;
}

/** Cut at a word boundary, never mid-word; `…` marks the cut. */
function fit(text: string, max = TITLE_PROSE_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

/** The templated path of the page it happened on (`/reports/:id`), or null. */
function placePath(facts: FactPicture): string | null {
  const where = facts.where;
  if (!where) return null;
  const first = where.value.split(' ')[0];
  // Only a page the machine saw: a link the reporter pasted may be a doc, a paste or an image.
  if (where.source !== 'recording' && where.source !== 'sentry') return null;
  const path = templatePath(pathOf(first));
  return path && path !== '/' ? path : null;
}

/** Capitalised, without the full stop or colon a sentence ends with. */
function headline(text: string): string {
  const t = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.:;,]+$/, '');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/**
 * `<what goes wrong> on <path>`: the location only when it fits whole, the text cut at a word
 * when it is too long by itself, so the title never ends mid-word or mid-path.
 */
function compose(text: string, path: string | null, place: string | null = null): string {
  const base = headline(text);
  const at = path ? ` on ${path}` : place ? ` ${place}` : '';
  if (at && !base.toLowerCase().includes(at.trim().toLowerCase())) {
    if (base.length + at.length <= TITLE_PROSE_MAX) return `${base}${at}`;
    if (path && place && base.length + place.length + 1 <= TITLE_PROSE_MAX)
      return `${base} ${place}`;
  }
  return fit(base);
}

function title(facts: FactPicture, input: TriageInput): string {
  const fromRecording =
    input.analysis?.failure && input.analysis.failure.reason !== 'end'
      ? ticketTitle(input.report.description, input.analysis)
      : null;
  if (fromRecording && fromRecording !== draftTitle(input.report.description)) {
    return fromRecording;
  }
  const path = placePath(facts);
  if (input.sentryIssue) return compose(input.sentryIssue.title.split('\n')[0], path);
  const words = reporterTitle(input.report.description);
  if (words) return compose(words.text, path, words.place);
  if (facts.actual) return compose(facts.actual.value, path);
  return 'Bug report';
}

/**
 * The title in the reporter's words: their own title when it already says what goes wrong
 * ("Room list stays empty after login"); when it does not ("Bug: Crashing", "Problem with
 * filters"), the first sentence of the report that does, led by the component their title
 * names ("Filters: the report freezes when opened").
 */
function reporterTitle(description: string): { text: string; place: string | null } | null {
  const parsed = parseReporterText(description);
  const firstLine = description.trim().split(/\r?\n/, 1)[0] ?? '';
  const hasTitle = /\r?\n\s*\r?\n/.test(description.trim()) && firstLine.length <= 200;
  const own = hasTitle ? cleanTitle(firstLine) : '';
  if (own && keepsOwnTitle(own)) return { text: clause(own), place: null };
  const body = hasTitle ? description.trim().slice(firstLine.length) : description;
  const parsedBody = parseReporterText(body);
  const opening =
    parsedBody.sections.find((s) => s.key === 'actual' && meaningful(s.text))?.text ??
    parsedBody.preamble ??
    '';
  const said = sentences(opening).filter(isStatement).slice(0, 8);
  const shaped = said.map(actionSymptom).find(Boolean);
  const symptom = shaped
    ? { text: shaped.short, place: shaped.place }
    : (() => {
        const s = said.find((x) => !isVague(x) && specific(x));
        return s ? { text: statement(s), place: null } : null;
      })();
  if (symptom) {
    const component = own ? componentOf(own) : null;
    const said = clause(symptom.text);
    const text =
      component && !said.toLowerCase().includes(component.toLowerCase())
        ? `${headline(component)}: ${lowerFirst(said)}`
        : said;
    return { text, place: symptom.place };
  }
  if (own) return { text: clause(own), place: null };
  const first = sentences(parsed.preamble || parsed.clean).filter(isStatement)[0];
  return first ? { text: clause(first), place: null } : null;
}

/**
 * Titles that name no symptom: "Bug in legend", "Problem with timezones", "It's broken",
 * "Crashing". Anything longer that is not one of these says what goes wrong in the reporter's
 * words, and is kept.
 */
const VAGUE_TITLE =
  /^(?:(?:some|a|an|the|weird|strange|big|small|major|minor)\s+)*(?:(?:kind|sort) of\s+)?(?:bug|problem|issue|error|glitch|trouble|question)s?\b(?:\s+(?:with|in|on|at|of|about|when|using|for)\b.*)?$|^(?:it|this|that|something|everything|nothing|idk|i don'?t know|not sure)\b|\b(?:its|it'?s|it is) (?:not working|broken)\b/i;

function keepsOwnTitle(title: string): boolean {
  const words = title.match(/[\p{L}\d]+/gu) ?? [];
  if (words.length < 3 || isVague(title)) return false;
  return specific(title) || (!VAGUE_TITLE.test(title) && words.length >= 4);
}

/** A reporter's title without tracker tags and filler: "[Bug] Export fails" → "Export fails". */
export function cleanTitle(title: string): string {
  return title
    .replace(
      /^\s*(?:\[[^\]]{1,30}\]\s*|(?:bug|issue|problem|error|regression|question|help)\s*(?:report)?\s*[:\-–—]\s*)+/i,
      '',
    )
    .replace(/[\s.!?:;,]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** "Some kind of bug with filters" → "filters"; null when the title names no component. */
function componentOf(title: string): string | null {
  const m =
    /\b(?:bug|problem|issue|error|trouble|glitch)s?\s+(?:with|in|on|at|of|when using)\s+(?:the\s+)?([\p{L}\d][\p{L}\d .'-]{1,40})$/iu.exec(
      title,
    );
  return m ? m[1].trim() : null;
}

/** A sentence as a title: without "I noticed that", "It seems", a closing full stop. */
function statement(sentence: string): string {
  return sentence
    .replace(/^(?:hi|hello|hey)\b[^,.!]*[,.!]\s*/i, '')
    .replace(
      /^(?:i (?:have )?(?:noticed|found|realised|realized|see|saw|think)|it (?:seems|looks like)|apparently|basically|so)\s+(?:that\s+)?/i,
      '',
    )
    .replace(/[\s.:;,]+$/, '');
}

/**
 * A sentence too long for a title, cut to the clause that says what goes wrong ("…, but then the
 * report froze" → "the report froze"), else to its first clause when that says enough.
 */
function clause(sentence: string): string {
  if (sentence.length <= TITLE_PROSE_MAX) return sentence;
  const parts = sentence
    .split(/,\s+(?:(?:but|and|so|which|because|then)\s+)?|;\s*|\s[-–—]\s|\s+(?:but|and then)\s+/i)
    .map((p) => p.trim())
    .filter((p) => p.length >= 12);
  const telling = parts.find((p) => specific(p) && p.length <= TITLE_PROSE_MAX);
  if (telling) return headline(telling.replace(/^(?:and|but|so|then)\s+/i, ''));
  const head = /^(.{15,}?)(?:,\s+(?:but|and|so|which|because|when)\b|;|\s[-–—]\s)/.exec(sentence);
  return head && head[1].length <= TITLE_PROSE_MAX ? head[1] : sentence;
}

const SOURCE_WORDS: Record<FactSource, string> = {
  recording: 'the session recording',
  sentry: 'Sentry',
  account: 'the account',
  reporter: 'the reporter',
  inferred: 'inference',
};

function summary(facts: FactPicture, input: TriageInput): string {
  const out: string[] = [];
  const by = (f: Fact) => SOURCE_WORDS[f.source];
  if (facts.actual) {
    out.push(`${headline(withEvidence(facts.actual))} (per ${by(facts.actual)}).`);
  }
  const where = facts.where ? ` on ${placeWords(facts.where.value)}` : '';
  const env = facts.environment ? ` using ${clauseText(facts.environment.value)}` : '';
  if (where || env) out.push(`It happened${where}${env}.`);
  const scale = [
    facts.frequency && `how often: ${howOften(facts.frequency.value)} (per ${by(facts.frequency)})`,
    facts.impact &&
      (facts.impact.source === 'account'
        ? `${lowerFirst(clauseText(facts.impact.value))}`
        : `impact: ${lowerFirst(clauseText(facts.impact.value))} (per ${by(facts.impact)})`),
  ].filter((s): s is string => !!s);
  if (scale.length) out.push(`${headline(scale.join('; '))}.`);
  const missing = (['steps', 'expected', 'environment'] as FactKey[]).filter((k) => !facts[k]);
  if (missing.length) out.push(`Not known yet: ${missing.join(', ')}.`);
  if (!out.length) out.push(`${headline(draftTitle(input.report.description))}.`);
  return out.slice(0, SUMMARY_SENTENCES_MAX).join(' ');
}

/** Text to sit inside a sentence: one line, no markdown emphasis, no closing full stop. */
function clauseText(text: string): string {
  return text
    .replace(/\*\*|__/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.:;,]+$/, '');
}

function lowerFirst(text: string): string {
  // "Windows", "Sentry", "GitHub" keep their capital; ordinary sentence starts lose it.
  return /^[A-Z][a-z]/.test(text) && !/^[A-Z][a-z]+[A-Z]/.test(text.split(' ')[0])
    ? text.charAt(0).toLowerCase() + text.slice(1)
    : text;
}

/** A page as it reads after "on": a URL or path as it is, a named screen with "the". */
function placeWords(where: string): string {
  const text = clauseText(where);
  return /^(https?:\/\/|\/|the\b|my\b|our\b)/i.test(text) ? text : `the ${text}`;
}

/** "Whenever", "keeps crashing" as a frequency a reader takes in at once. */
function howOften(value: string): string {
  const text = clauseText(value);
  if (/^(whenever|each time|every ?time)$/i.test(text)) return 'every time';
  if (/^keeps?\s/i.test(text)) return 'repeatedly';
  return lowerFirst(text);
}

const URGENT_WORDS =
  /\b(data loss|lost (?:(?:all|my|our|of|the) )*(?:data|work|files|changes)|deleted (?:all|my|our)|security|vulnerab|exploit|leak(?:ed|ing|s)?|exposed|breach|xss|injection|charged (?:twice|double)|double charg|payment(?:s)? (?:fail|fails|failed|failing|not|declined)|can'?t (?:pay|checkout|check out)|(?:nobody|no one) can\b|(?:everyone|everybody|all (?:of )?(?:our |the )?(?:users|customers)|nobody|no one) (?:is |are )?(?:blocked|can'?t|cannot|unable))/i;
const PAYMENT_ROUTE = /\/(billing|payments?|checkout|subscriptions?|invoices?|pay)(\/|$)/i;
const BLOCKED_WORDS =
  /\b(blocked|can'?t (?:work|continue|use|do anything|log ?in|sign ?in|save|push|open|start)|cannot (?:work|continue|use|log ?in|save|push|open|start)|unable to (?:work|continue|use|log ?in|save|push|open|start)|won'?t (?:start|open|launch|load)|crash(?:es|ed|ing)?|freez(?:es|ing)|unusable|urgent|asap)/i;
const COSMETIC_WORDS =
  /\b(typo|spelling|misspell|cosmetic|misaligned|alignment|padding|margin|font|colou?r|overlap(?:s|ping)?|pixel|icon is|tooltip|wording|grammar|capitali[sz])/i;

/** urgent > high > low > medium, by the rules below; medium when nothing stands out. */
export function severity(facts: FactPicture, input: TriageInput): Severity {
  return assessSeverity(facts, input).severity;
}

/** The severity and what it rests on (the words, the Sentry counts, the failing payment route). */
export function assessSeverity(
  facts: FactPicture,
  input: TriageInput,
): { severity: Severity; severityWhy?: string } {
  const words = [
    input.report.description,
    ...input.conversation.map((t) => t.answer ?? ''),
    facts.actual?.value ?? '',
    facts.impact?.value ?? '',
  ].join('\n');
  const users = input.sentryIssue?.usersAffected ?? 0;
  const events = input.sentryIssue?.events ?? 0;
  const failingUrls = [
    ...(input.analysis?.failedRequests.filter((r) => r.status === 0 || r.status >= 500) ?? []).map(
      (r) => r.url,
    ),
    ...(input.analysis?.errors.length || input.sentryIssue ? [facts.where?.value ?? ''] : []),
  ];
  // Money that fails to move is urgent even when only one person reported it.
  const paymentBroken = failingUrls.some((u) => PAYMENT_ROUTE.test(pathOf(u.split(' ')[0]) ?? ''));
  const said = (re: RegExp) => re.exec(words)?.[0].toLowerCase();
  const urgent = said(URGENT_WORDS);
  if (urgent) return { severity: 'urgent', severityWhy: `words: ${urgent}` };
  if (users >= 50) return { severity: 'urgent', severityWhy: `Sentry: ${users} users` };
  if (paymentBroken) return { severity: 'urgent', severityWhy: 'a payment route fails' };
  const blocked = said(BLOCKED_WORDS);
  if (blocked) return { severity: 'high', severityWhy: `words: ${blocked}` };
  if (events >= 100 || users >= 10) {
    return { severity: 'high', severityWhy: `Sentry: ${events} events, ${users} users` };
  }
  const cosmetic = said(COSMETIC_WORDS);
  if (cosmetic && !facts.actual?.value.match(/error|fail|crash/i)) {
    return { severity: 'low', severityWhy: `words: ${cosmetic}` };
  }
  return { severity: 'medium' };
}

function labels(facts: FactPicture, input: TriageInput): string[] {
  const out = ['bug'];
  const where =
    facts.where?.source === 'recording' || /^https?:\/\//.test(facts.where?.value ?? '')
      ? templatePath(facts.where?.value.split(' ')[0])
      : null;
  const area = where
    ?.split('/')
    .find((s) => s && s !== ':id' && !/^(app|api|v\d+|[a-z]{2}(-[a-z]{2})?)$/i.test(s));
  if (area) out.push(area);
  if (input.analysis) out.push('has-recording');
  if (input.sentryIssue) out.push('sentry');
  return out;
}
