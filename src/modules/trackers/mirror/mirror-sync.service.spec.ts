import { mirrorFollowUpAt } from './mirror-sync.service';

describe('mirrorFollowUpAt', () => {
  const now = new Date('2026-11-24T05:00:00Z');

  it('continues at once after a run that stopped at its page limit', () => {
    expect(mirrorFollowUpAt({ status: 'partial', pages: 20, issues: 1000 }, now)).toEqual(now);
  });

  it('comes back when the rate limit ends', () => {
    const resumeAt = new Date(now.getTime() + 30_000);
    expect(mirrorFollowUpAt({ status: 'rate_limited', pages: 3, issues: 150, resumeAt }, now)).toBe(
      resumeAt,
    );
  });

  it('leaves finished, busy and skipped runs to the schedule', () => {
    for (const status of ['completed', 'busy', 'skipped'] as const) {
      expect(mirrorFollowUpAt({ status, pages: 0, issues: 0 }, now)).toBeNull();
    }
  });
});
