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
} from '../agent.types';
import { templatePath } from '../../../common/signals/route-template';
import { draftTitle } from '../../trackers/ticket-body';
import { ticketTitle } from '../../trackers/ticket-title';
import { pathOf } from './facts';
import { parseReporterText } from './reporter-text';

const TITLE_MAX = 90;

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
    severity: severity(facts, input),
    labels: labels(facts, input),
  };
}

function withEvidence(fact: Fact): string {
  return fact.evidence && fact.source !== 'reporter'
    ? `${fact.value} (${fact.evidence})`
    : fact.value;
}

function fit(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > TITLE_MAX ? `${flat.slice(0, TITLE_MAX - 1)}…` : flat;
}

function placePath(facts: FactPicture): string | null {
  const where = facts.where;
  if (!where || (where.source !== 'recording' && where.source !== 'sentry')) {
    const url = where && /^https?:\/\//.test(where.value) ? where.value.split(' ')[0] : null;
    return url ? pathOf(url) : null;
  }
  return pathOf(where.value.split(' ')[0]);
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
  const on = (t: string) => (path && path !== '/' && !t.includes(path) ? ` on ${path}` : '');
  if (input.sentryIssue) {
    const t = input.sentryIssue.title.split('\n')[0];
    return fit(`${t}${on(t)}`);
  }
  const words = reporterTitle(input.report.description);
  if (words) return fit(`${words}${on(words)}`);
  if (facts.actual) return fit(`${facts.actual.value}${on(facts.actual.value)}`);
  return 'Bug report';
}

/** The reporter's first real line, skipping template headings. */
function reporterTitle(description: string): string | null {
  const parsed = parseReporterText(description);
  const first = (parsed.preamble || parsed.sections.find((s) => s.key === 'actual')?.text) ?? '';
  const line = first.split(/\r?\n/).find((l) => /[\p{L}\d]{3,}/u.test(l));
  return line ? draftTitle(line.replace(/^[#>*\s-]+/, '')) : null;
}

const SOURCE_WORDS: Record<FactSource, string> = {
  recording: 'the session recording',
  sentry: 'Sentry',
  account: 'the account',
  reporter: 'the reporter',
  inferred: 'inference',
};

function summary(facts: FactPicture, input: TriageInput): string {
  const sentences: string[] = [];
  const by = (f: Fact) => SOURCE_WORDS[f.source];
  if (facts.actual) {
    sentences.push(`${sentence(withEvidence(facts.actual))} (per ${by(facts.actual)})`);
  }
  const where = facts.where ? ` on ${facts.where.value}` : '';
  const env = facts.environment ? ` using ${facts.environment.value}` : '';
  if (where || env) sentences.push(`It happened${where}${env}.`);
  const scale = [facts.frequency, facts.impact].filter((f): f is Fact => !!f);
  if (scale.length) {
    sentences.push(
      `${scale.map((f) => `${f.value} (${by(f)})`).join('; ')}.`.replace(/^./, (c) =>
        c.toUpperCase(),
      ),
    );
  }
  const missing = (['steps', 'expected', 'environment'] as FactKey[]).filter((k) => !facts[k]);
  if (missing.length) sentences.push(`Not known yet: ${missing.join(', ')}.`);
  if (!sentences.length) sentences.push(sentence(draftTitle(input.report.description)));
  return sentences.slice(0, 4).join(' ');
}

function sentence(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?…]$/.test(t) ? t.replace(/[.!?…]$/, '') : t;
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
  if (URGENT_WORDS.test(words) || users >= 50 || paymentBroken) return 'urgent';
  if (BLOCKED_WORDS.test(words) || events >= 100 || users >= 10) return 'high';
  if (COSMETIC_WORDS.test(words) && !facts.actual?.value.match(/error|fail|crash/i)) return 'low';
  return 'medium';
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
