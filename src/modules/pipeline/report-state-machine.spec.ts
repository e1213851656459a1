import {
  ACTIVE_STATUSES,
  assertTransition,
  canTransition,
  FINAL_STATUSES,
  IllegalTransitionError,
  REPORT_STATUSES,
} from './report-state-machine';

describe('report state machine', () => {
  it('walks the happy path received → analyzing → clarifying → deduping → filing → filed', () => {
    const path = ['received', 'analyzing', 'clarifying', 'deduping', 'filing', 'filed'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i])).toBe(true);
  });

  it('lets dedupe end a report as a duplicate and any active stage hand it to a human', () => {
    expect(canTransition('deduping', 'duplicate')).toBe(true);
    for (const status of ['analyzing', 'clarifying', 'deduping', 'filing'] as const) {
      expect(canTransition(status, 'needs_human')).toBe(true);
    }
    expect(canTransition('needs_human', 'filing')).toBe(true);
  });

  it('never leaves a final status, and never skips a stage', () => {
    for (const final of FINAL_STATUSES) {
      for (const to of REPORT_STATUSES) expect(canTransition(final, to)).toBe(false);
    }
    expect(canTransition('received', 'filed')).toBe(false);
    expect(canTransition('analyzing', 'filing')).toBe(false);
    expect(() => assertTransition('filed', 'filing')).toThrow(IllegalTransitionError);
  });

  it('can fail from every active status', () => {
    for (const status of ACTIVE_STATUSES) expect(canTransition(status, 'failed')).toBe(true);
  });
});
