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

  it('never goes back into the pipeline from a final status, and never skips a stage', () => {
    const pipeline = [
      'received',
      'analyzing',
      'clarifying',
      'deduping',
      'filing',
      'needs_human',
      'failed',
    ] as const;
    for (const final of FINAL_STATUSES) {
      for (const to of pipeline) expect(canTransition(final, to)).toBe(false);
    }
    for (const to of REPORT_STATUSES) expect(canTransition('failed', to)).toBe(false);
    expect(canTransition('received', 'filed')).toBe(false);
    expect(canTransition('analyzing', 'filing')).toBe(false);
    expect(() => assertTransition('filed', 'filing')).toThrow(IllegalTransitionError);
  });

  it('follows the ticket after filing: resolved, closed, reopened', () => {
    expect(canTransition('filed', 'resolved')).toBe(true);
    expect(canTransition('duplicate', 'closed')).toBe(true);
    expect(canTransition('resolved', 'filed')).toBe(true);
    expect(canTransition('closed', 'duplicate')).toBe(true);
    expect(canTransition('received', 'resolved')).toBe(false);
  });

  it('can fail from every active status', () => {
    for (const status of ACTIVE_STATUSES) expect(canTransition(status, 'failed')).toBe(true);
  });
});
