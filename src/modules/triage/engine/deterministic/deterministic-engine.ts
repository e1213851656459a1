/**
 * The rule-based triage engine: facts, then questions, then a ticket. No model, no network;
 * it is also what the LLM engine falls back to.
 */
import { performance } from 'node:perf_hooks';
import { FACT_KEYS } from '../triage.types';
import type {
  TriageDecision,
  TriagePolicy,
  EngineResult,
  FactPicture,
  TraceStep,
  TriageInput,
} from '../triage.types';
import { buildFacts, isKnown } from './facts';
import { chooseQuestions } from './questions';
import { ticketConfidence, writeTicket } from '../ticket/ticket-writer';

function timed<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: Math.round((performance.now() - started) * 100) / 100 };
}

function step(tool: string, result: string, latencyMs: number, reason: string): TraceStep {
  return {
    engine: 'deterministic',
    tool,
    arguments: {},
    result,
    tokensIn: 0,
    tokensOut: 0,
    tokensCached: 0,
    latencyMs,
    reason,
  };
}

function factsLine(facts: FactPicture): string {
  const known = FACT_KEYS.filter((k) => isKnown(facts, k)).map((k) => `${k} (${facts[k]?.source})`);
  const gaps = FACT_KEYS.filter((k) => !isKnown(facts, k));
  return `known: ${known.join(', ') || 'nothing'}; gaps: ${gaps.join(', ') || 'none'}`;
}

/** Decides one turn: ask the reporter about the gaps, or file the ticket. Never 'duplicate'. */
export function runDeterministic(input: TriageInput, policy: TriagePolicy): EngineResult {
  const trace: TraceStep[] = [];
  const facts = timed(() => buildFacts(input));
  trace.push(
    step(
      'facts',
      factsLine(facts.value),
      facts.ms,
      'Collect the strongest evidence for each fact from the recording, Sentry, the account and the reporter',
    ),
  );
  const questions = timed(() => chooseQuestions(facts.value, input, policy));
  const asked = input.conversation.reduce((n, t) => n + t.questions.length, 0);
  trace.push(
    step(
      'questions',
      questions.value.length
        ? `${questions.value.length} question(s): ${questions.value.map((q) => q.key).join(', ')}`
        : 'no questions',
      questions.ms,
      `Ask only about gaps the evidence cannot fill (${asked} of ${policy.maxQuestions} questions already asked)`,
    ),
  );
  let decision: TriageDecision;
  if (questions.value.length) {
    decision = {
      kind: 'ask',
      questions: questions.value,
      reason: `Missing what is needed to reproduce it: ${questions.value.map((q) => q.key).join(', ')}`,
    };
  } else {
    const ticket = timed(() => ({
      proposal: writeTicket(facts.value, input),
      confidence: ticketConfidence(facts.value),
    }));
    const gaps = FACT_KEYS.filter((k) => !isKnown(facts.value, k) && k !== 'when');
    trace.push(
      step(
        'ticket',
        `"${ticket.value.proposal.title}" (${ticket.value.proposal.severity}, confidence ${ticket.value.confidence.toFixed(2)})`,
        ticket.ms,
        'Nothing left worth asking: write the ticket from the facts',
      ),
    );
    decision = {
      kind: 'file',
      ticket: ticket.value.proposal,
      confidence: ticket.value.confidence,
      reason: gaps.length
        ? `Filing with what is known; still unknown: ${gaps.join(', ')}`
        : 'The picture is complete enough to reproduce',
    };
  }
  return {
    engine: 'deterministic',
    facts: facts.value,
    decision,
    usage: { prompt: 0, completion: 0, cached: 0 },
    trace,
  };
}
