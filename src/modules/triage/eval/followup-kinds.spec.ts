import { followupKinds, kindCovers } from './followup-kinds';

const kinds = (text: string) => followupKinds(text).map((f) => f.kind);

describe('followupKinds', () => {
  it('finds several kinds in one follow-up, each with its phrase', () => {
    expect(followupKinds('Which version, and can you share the logs?')).toEqual([
      { kind: 'version', phrase: 'Which version' },
      { kind: 'logs', phrase: 'logs' },
    ]);
  });

  it('reads the usual requests', () => {
    expect(kinds('Could you list the steps you took before the error?')).toEqual(['steps']);
    expect(kinds('Which browser and OS are you on?')).toEqual(['environment']);
    expect(kinds('Does this still happen on the newest release?')).toContain('latest');
    expect(kinds('Can you attach a screenshot of the settings dialog?')).toContain('screenshot');
    expect(kinds('Anything in the browser console when you press it?')).toEqual(['logs']);
    expect(kinds('What did you expect the total to be?')).toEqual(['expected']);
    expect(kinds('How often does it happen for you?')).toEqual(['frequency']);
    expect(kinds('Could you send us the link to the board where you see it?')).toEqual(['where']);
    expect(kinds('When did this start, after the last upgrade?')).toContain('when');
  });

  it("takes a browser's version for the environment, not the product's version", () => {
    expect(kinds('Which version of Safari do you use?')).toEqual(['environment']);
    expect(kinds('Which version of the app are you running?')).toEqual(['version']);
  });

  it('marks requests outside the taxonomy as other', () => {
    expect(kinds('Please fill in the template so we can look at it.')).toEqual(['other']);
    expect(kinds('Could you export your workspace config and attach it?')).toEqual(['other']);
    expect(kinds('Is the shared folder encrypted?')).toEqual(['other']);
    expect(kinds('Hmm, does the import wizard count as part of this?')).toEqual(['other']);
  });

  it("does not read the maintainer's own test report as a request", () => {
    expect(kinds('Works for me in Firefox 128 on Linux.')).toEqual([]);
    expect(kinds('I could not reproduce this on version 5.2.')).toEqual([]);
    expect(followupKinds('')).toEqual([]);
    expect(followupKinds(null)).toEqual([]);
  });
});

describe('kindCovers', () => {
  it('counts a question as covering its own kind and the kind that meets the same need', () => {
    expect(kindCovers('logs', 'logs')).toBe(true);
    expect(kindCovers('latest', 'version')).toBe(true);
    expect(kindCovers('version', 'latest')).toBe(true);
    expect(kindCovers('screenshot', 'actual')).toBe(true);
    expect(kindCovers('actual', 'screenshot')).toBe(true);
    expect(kindCovers('steps', 'logs')).toBe(false);
    expect(kindCovers('steps', 'other')).toBe(false);
  });
});
