import {
  type IssueFacts,
  type MatchEvidence,
  pickMatch,
  proximity,
  relative,
  scoreCandidates,
  type Sighting,
} from './sentry-matcher';

const REPORTED = Date.parse('2026-11-20T14:05:00Z');
const MIN = 60_000;

function evidence(over: Partial<MatchEvidence> = {}): MatchEvidence {
  return {
    reportedAt: REPORTED,
    failureAt: null,
    explicit: {},
    user: { email: null, id: null },
    errors: [],
    routes: [],
    ...over,
  };
}

const TYPE_ERROR: IssueFacts = {
  id: '101',
  shortId: 'WEB-1',
  title: "TypeError: Cannot read properties of undefined (reading 'id')",
  culprit: 'saveCard(app/billing/card-form)',
};
const RANGE_ERROR: IssueFacts = {
  id: '102',
  shortId: 'WEB-2',
  title: 'RangeError: Maximum call stack size exceeded',
  culprit: 'render(app/dashboard)',
};

describe('scoreCandidates', () => {
  it('puts an explicitly reported event at full confidence', () => {
    const [best] = scoreCandidates(
      evidence({ explicit: { eventId: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6' } }),
      [TYPE_ERROR],
      [
        {
          issueId: '101',
          eventId: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6',
          at: REPORTED,
          via: 'event_id',
        },
      ],
    );
    expect(best).toMatchObject({ issueId: '101', score: 1, shortId: 'WEB-1' });
    expect(best.reasons[0]).toBe('reported with its Sentry event a1b2c3d4…');
  });

  it('says who and when for the same user, and why for the same error text', () => {
    const [best] = scoreCandidates(
      evidence({
        user: { email: 'ana@example.com', id: null },
        errors: [
          {
            message: "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
            stack: ['at saveCard (https://app.example.com/static/card-form.js:12:3)'],
            uncaught: true,
          },
        ],
      }),
      [TYPE_ERROR, RANGE_ERROR],
      [{ issueId: '101', eventId: 'e1', at: REPORTED - 2 * MIN, via: 'user' }],
    );
    expect(best.issueId).toBe('101');
    expect(best.reasons).toEqual([
      "error text matches: TypeError: Cannot read properties of undefined (reading 'id')",
      'same user ana@…, 2 min before report',
      'culprit saveCard(app/billing/card-form) is in the recorded stack (saveCard)',
    ]);
    expect(best.score).toBeGreaterThan(0.95);
    expect(best.eventId).toBe('e1');
  });

  it('ranks the issue with more independent evidence first, and leaves out unrelated issues', () => {
    const candidates = scoreCandidates(
      evidence({
        user: { email: 'ana@example.com', id: null },
        routes: ['/projects/:id/settings'],
        errors: [
          { message: 'RangeError: Maximum call stack size exceeded', stack: [], uncaught: true },
        ],
      }),
      [TYPE_ERROR, RANGE_ERROR],
      [
        {
          issueId: '101',
          eventId: 'e1',
          at: REPORTED - MIN,
          via: 'url',
          url: 'https://x.io/projects/9/settings',
        },
        {
          issueId: '102',
          eventId: 'e2',
          at: REPORTED - 3 * MIN,
          via: 'user',
          url: 'https://x.io/projects/17/settings',
        },
      ],
    );
    expect(candidates.map((c) => c.shortId)).toEqual(['WEB-2', 'WEB-1']);
    expect(candidates[0].reasons).toContain(
      'seen on the same page /projects/:id/settings, 3 min before report',
    );
    expect(candidates[1].reasons).toEqual([
      'seen on the same page /projects/:id/settings, 60 s before report',
    ]);
  });

  it('weighs an event half an hour from the failure less than one at the failure', () => {
    const sightings: Sighting[] = [
      { issueId: '101', eventId: 'far', at: REPORTED - 30 * MIN, via: 'url', url: '/billing' },
      { issueId: '102', eventId: 'near', at: REPORTED - MIN, via: 'url', url: '/billing' },
    ];
    const [near, far] = scoreCandidates(
      evidence({ routes: ['/billing'] }),
      [TYPE_ERROR, RANGE_ERROR],
      sightings,
    );
    expect(near.issueId).toBe('102');
    expect(far.score).toBeLessThan(near.score);
    expect(pickMatch([far], 0.5).match).toBeNull();
    expect(pickMatch([near, far], 0.5)).toEqual({ match: near, runnersUp: [far] });
  });

  it('does not count an issue whose title is a different error', () => {
    const candidates = scoreCandidates(
      evidence({
        errors: [{ message: 'Error: Network request failed', stack: [], uncaught: false }],
      }),
      [TYPE_ERROR, RANGE_ERROR],
      [],
    );
    expect(candidates).toEqual([]);
  });
});

describe('time words', () => {
  it('speaks in seconds under ninety, minutes above, before or after the report', () => {
    expect(relative(REPORTED - 40_000, REPORTED)).toBe('40 s before report');
    expect(relative(REPORTED + 3 * MIN, REPORTED)).toBe('3 min after report');
    expect(proximity(REPORTED - 4 * MIN, REPORTED)).toBe(1);
    expect(proximity(REPORTED - 30 * MIN, REPORTED)).toBeCloseTo(0.6);
  });
});
