import { DEFAULT_POLICY } from '../../../projects/policy';
import { runDeterministic } from './deterministic-engine';
import {
  CHROME_UA,
  billingRecording,
  triageInput,
  turn,
} from '../../../../../test/factories/triage-input.factory';

describe('runDeterministic', () => {
  it('asks about the gaps and traces each step', () => {
    const result = runDeterministic(triageInput({}, 'it does not work'), DEFAULT_POLICY);
    expect(result.engine).toBe('deterministic');
    expect(result.decision.kind).toBe('ask');
    if (result.decision.kind !== 'ask') return;
    expect(result.decision.questions.map((q) => q.key)).toContain('actual');
    expect(result.trace.map((s) => s.tool)).toEqual(['facts', 'questions']);
    for (const s of result.trace) {
      expect(s).toMatchObject({
        engine: 'deterministic',
        arguments: {},
        tokensIn: 0,
        tokensOut: 0,
        tokensCached: 0,
      });
      expect(s.latencyMs).toBeGreaterThanOrEqual(0);
      expect(s.result).not.toContain('\n');
    }
    expect(result.usage).toEqual({ prompt: 0, completion: 0, cached: 0 });
  });

  it('files the ticket when the recording answers everything that blocks reproduction', () => {
    const input = triageInput(
      { analysis: billingRecording(), report: { ...triageInput().report, userAgent: CHROME_UA } },
      'I expected my new card to be saved',
    );
    const result = runDeterministic(input, DEFAULT_POLICY);
    expect(result.decision.kind).toBe('file');
    if (result.decision.kind !== 'file') return;
    expect(result.decision.ticket.title).toContain('/settings/billing');
    expect(result.decision.confidence).toBeGreaterThan(0.8);
    expect(result.trace.map((s) => s.tool)).toEqual(['facts', 'questions', 'ticket']);
  });

  it('files with what it has once the question budget is spent', () => {
    const input = triageInput(
      { conversation: [turn(['actual', 'steps', 'expected'], 'idk')] },
      'it does not work',
    );
    const result = runDeterministic(input, DEFAULT_POLICY);
    expect(result.decision.kind).toBe('file');
    if (result.decision.kind !== 'file') return;
    expect(result.decision.reason).toContain('still unknown');
    expect(result.decision.confidence).toBeLessThan(DEFAULT_POLICY.autoFileThreshold);
  });
});
