import {
  type CandidateFeatures,
  asTickets,
  decide,
  type QueryTerm,
  rankCandidates,
  scoreCandidate,
  termCoverage,
} from './dedupe-scorer';

const terms: QueryTerm[] = [
  { lexeme: 'rebas', idf: 4, inTitle: true },
  { lexeme: 'submodul', idf: 3, inTitle: true },
  { lexeme: 'error', idf: 0.5, inTitle: false },
];

function candidate(over: Partial<CandidateFeatures>): CandidateFeatures {
  return {
    kind: 'issue',
    id: 'i1',
    key: 'ENG-1',
    title: 'Rebase fails with submodules',
    url: null,
    titleSimilarity: 0,
    termMatches: [0, 0, 0],
    sharedSignals: [],
    ...over,
  };
}

const thresholds = { duplicate: 0.9, possible: 0.6 };

describe('dedupe scoring', () => {
  it('weighs rare title words far above a common body word', () => {
    expect(termCoverage(terms, [2, 2, 2])).toBe(1);
    expect(termCoverage(terms, [0, 0, 2])).toBeLessThan(0.05);
    expect(termCoverage(terms, [2, 0, 0])).toBeGreaterThan(0.5);
    expect(termCoverage(terms, [1, 1, 1])).toBeCloseTo(6.8 / 14.5);
  });

  it('never merges on text alone unless the two read the same', () => {
    const close = scoreCandidate(
      terms,
      candidate({ titleSimilarity: 0.8, termMatches: [2, 2, 1] }),
    );
    expect(decide(close, thresholds)).toBe('possible_duplicate');
    const same = scoreCandidate(terms, candidate({ titleSimilarity: 1, termMatches: [2, 2, 2] }));
    expect(decide(same, thresholds)).toBe('duplicate');
    expect(same.reasons).toEqual([
      'title similarity 1.00',
      'shares the words rebas, submodul, error',
    ]);
  });

  it('merges on the same Sentry issue or error, and names it first', () => {
    const sentry = scoreCandidate(
      terms,
      candidate({
        titleSimilarity: 0.3,
        termMatches: [2, 0, 0],
        sharedSignals: [{ kind: 'sentry_issue', value: '77', label: 'WEB-42' }],
      }),
    );
    expect(decide(sentry, thresholds)).toBe('duplicate');
    expect(sentry.reasons[0]).toBe('same Sentry issue WEB-42');

    const request = scoreCandidate(
      terms,
      candidate({ sharedSignals: [{ kind: 'failing_request', value: 'POST /api/billing 500' }] }),
    );
    expect(request.reasons).toEqual(['same failing request POST /api/billing 500']);
    expect(decide(request, thresholds)).toBe('new');
  });

  it('ranks by score, and decides new when nothing comes close', () => {
    const ranked = rankCandidates(terms, [
      candidate({ id: 'weak', titleSimilarity: 0.2, termMatches: [0, 0, 1] }),
      candidate({ id: 'strong', titleSimilarity: 0.7, termMatches: [2, 2, 0] }),
    ]);
    expect(ranked.map((c) => c.id)).toEqual(['strong', 'weak']);
    expect(decide(ranked[1], thresholds)).toBe('new');
    expect(decide(undefined, thresholds)).toBe('new');
  });

  it('trusts text less when both sides have an error or failing request and they differ', () => {
    const alike = candidate({ titleSimilarity: 0.8, termMatches: [2, 2, 1] });
    const agreeing = scoreCandidate(terms, alike, []);
    const disagreeing = scoreCandidate(terms, { ...alike, signalKinds: ['failing_request'] }, [
      'failing_request',
    ]);
    expect(disagreeing.score).toBeLessThan(agreeing.score / 1.5);
    expect(decide(disagreeing, thresholds)).toBe('new');
    expect(disagreeing.reasons.at(-1)).toBe('but a different failing request');
    // A candidate without that kind of evidence disagrees with nothing.
    expect(scoreCandidate(terms, alike, ['failing_request']).score).toBe(agreeing.score);
  });
});

describe('asTickets', () => {
  const scored = (
    kind: 'issue' | 'report',
    id: string,
    score: number,
    key: string | null = null,
  ) => ({
    kind,
    id,
    key,
    title: id,
    url: null,
    score,
    textScore: score,
    reasons: [`${id} reason`],
  });

  it('shows a filed report as its ticket, scored by the better of the two, once', () => {
    const ranked = [
      scored('report', 'filed-report', 0.92),
      scored('report', 'in-flight', 0.8),
      scored('issue', 'issue-1', 0.7, 'ENG-1'),
      scored('issue', 'issue-2', 0.5, 'ENG-2'),
    ];
    expect(asTickets(ranked, new Map([['filed-report', 'issue-1']]))).toEqual([
      { ...scored('issue', 'issue-1', 0.92, 'ENG-1'), reasons: ['filed-report reason'] },
      scored('report', 'in-flight', 0.8),
      scored('issue', 'issue-2', 0.5, 'ENG-2'),
    ]);
  });
});
