import { isPlaceholder, reportSections, statedFacts, type StatedKind } from './stated-facts';

const kinds = (text: string) => statedFacts(text).map((s) => s.kind);
const evidence = (text: string, kind: StatedKind) =>
  statedFacts(text).find((s) => s.kind === kind)?.evidence;

describe('statedFacts', () => {
  it('reads a filled-in issue form, each fact with the words it rests on', () => {
    const text = [
      'Invoice PDF comes out empty',
      '',
      '### What happened?',
      'The downloaded invoice is a blank page.',
      '',
      '### Steps to reproduce',
      '1. Open Billing',
      '2. Press "Download invoice"',
      '',
      '### Expected behaviour',
      'A PDF with the invoice lines.',
      '',
      '### Version',
      'Ledgerly 4.12.3',
      '',
      '### Browser',
      'Firefox 131 on Ubuntu 24.04',
    ].join('\n');
    const found = statedFacts(text);
    expect(found.map((s) => s.kind)).toEqual(
      expect.arrayContaining(['actual', 'steps', 'expected', 'version', 'environment']),
    );
    expect(evidence(text, 'steps')).toBe('Steps to reproduce: 1. Open Billing');
    expect(evidence(text, 'version')).toContain('4.12.3');
    expect(evidence(text, 'environment')).toContain('Firefox 131');
    for (const s of found) expect(s.evidence.length).toBeLessThanOrEqual(100);
  });

  it('does not count sections that hold only the template text', () => {
    const text = [
      'Sync stopped',
      '',
      '### Describe the bug',
      'A clear and concise description of what the bug is.',
      '',
      '### Steps to reproduce the behavior',
      "1. Go to '...'",
      "2. Click on '....'",
      "3. Scroll down to '....'",
      '4. See error',
      '',
      '### Expected behavior',
      '_No response_',
      '',
      '### Screenshots',
      'Add screenshots to help explain your problem, if applicable.',
      '',
      '<!-- Paste your logs below -->',
      '### Logs',
      '',
      '- [ ] I have tried the newest release',
    ].join('\n');
    expect(kinds(text)).toEqual([]);
  });

  it('takes a one-line answer under a steps heading as the steps', () => {
    const text = 'Tags vanish\n\n## How to reproduce\nRename any tag that has a dash in it.';
    expect(evidence(text, 'steps')).toBe('How to reproduce: Rename any tag that has a dash in it.');
  });

  it('reads bold labels and "Label:" lines with the answer on the same line', () => {
    const text = [
      'Calendar shifts by a day',
      '**Expected:** the meeting stays on Tuesday',
      'Operating system: macOS 14.5',
      'App version: 2.3',
      'Happens how often: every time I drag an event',
    ].join('\n');
    expect(evidence(text, 'expected')).toBe('Expected: the meeting stays on Tuesday');
    expect(evidence(text, 'environment')).toContain('macOS 14.5');
    expect(evidence(text, 'version')).toBe('App version: 2.3');
    expect(kinds(text)).toContain('frequency');
  });

  it("takes a browser's or an OS's version number for the environment, not the product's version", () => {
    const text = 'Chart tooltip stuck\n\nSeen in Chrome 126.0.6478.61 on Windows 11.';
    expect(kinds(text)).toContain('environment');
    expect(kinds(text)).not.toContain('version');
  });

  it('finds logs in a code block with a stack trace and in an attached log file', () => {
    const trace = [
      'Import fails',
      '```',
      "TypeError: Cannot read properties of null (reading 'rows')",
      '    at parseSheet (importer.js:88:13)',
      '```',
    ].join('\n');
    expect(evidence(trace, 'logs')).toContain('TypeError');
    const attached =
      'Import fails\n\nHere is the log: [server-2025-01-04.log](https://files.example.org/9)';
    expect(evidence(attached, 'logs')).toContain('.log');
    expect(kinds('Import fails\n\n```\nSELECT * FROM sheets;\n```')).not.toContain('logs');
  });

  it('finds a screenshot in a markdown image, an <img> tag or a video link', () => {
    expect(kinds('Overlap\n\n![menu](https://img.example.org/a/menu.png)')).toContain('screenshot');
    expect(kinds('Overlap\n\n<img width="300" src="https://cdn.example.org/x">')).toContain(
      'screenshot',
    );
    expect(kinds('Overlap\n\nRecording: https://cdn.example.org/clip.mp4')).toContain('screenshot');
    expect(kinds('Overlap\n\nThe menu covers the search box.')).not.toContain('screenshot');
  });

  it('finds a specific symptom but not a bare complaint', () => {
    expect(kinds('Save button\n\nI press Save and nothing happens.')).toContain('actual');
    expect(kinds('Upload\n\nThe app crashes after the upload bar fills.')).toContain('actual');
    expect(kinds('Reports\n\nThe reports page stays blank.')).toContain('actual');
    expect(kinds('Exports are broken\n\nPlease fix the exports.')).not.toContain('actual');
  });

  it('finds how often, where, and whether it happens on the newest version', () => {
    const text = [
      'Avatars missing',
      'Sometimes the avatars on the team settings page do not load.',
      'Still happens after I updated to the latest version this morning.',
    ].join('\n');
    expect(evidence(text, 'frequency')).toContain('Sometimes');
    expect(evidence(text, 'where')).toContain('settings page');
    expect(evidence(text, 'latest')).toContain('updated to the latest');
    expect(kinds('Avatars missing\n\nSee https://app.example.org/team/42')).toContain('where');
  });

  it('counts a ticked box as a statement and an empty one as nothing', () => {
    expect(kinds('Glitch\n\n- [x] I updated to the latest release')).toContain('latest');
    expect(kinds('Glitch\n\n- [ ] I updated to the latest release')).not.toContain('latest');
  });

  it('reads a step said in passing', () => {
    expect(evidence('Filter resets\n\nWhen I switch tabs the filter resets.', 'steps')).toContain(
      'When I switch tabs',
    );
  });

  it('reads a UI action said in passing as a step, but not a bare activity', () => {
    expect(kinds('Labels\n\nThe label moves by clicking on the pin icon twice.')).toContain(
      'steps',
    );
    expect(kinds('Labels\n\nThe label moves while printing.')).not.toContain('steps');
  });

  it('reads "I\'d expect", a quoted message the app shows, and "Current behaviour -"', () => {
    expect(kinds("Totals\n\nI'd expect the sum to include drafts.")).toContain('expected');
    expect(
      evidence('Totals\n\nAfter a minute it just shows the text: "Nothing to see yet"', 'actual'),
    ).toContain('Nothing to see yet');
    expect(kinds('Totals\n\nCurrent behaviour - the sum skips drafts')).toContain('actual');
  });

  it('does not take "I cannot say how" under a steps heading as steps', () => {
    const text = 'Logged out\n\nSteps to reproduce:\nNo idea how, it just happens.';
    expect(kinds(text)).not.toContain('steps');
  });

  it('does not take a form answer of "no" as the thing asked for', () => {
    expect(kinds('Stuck\n\n### Will you send logs?\nNo')).not.toContain('logs');
  });

  it('cuts long evidence to 100 characters around the match', () => {
    const long = `Slow\n\n${'word '.repeat(60)}and then it crashes ${'more '.repeat(40)}`;
    const found = evidence(long, 'actual');
    expect(found).toContain('crashes');
    expect(found!.length).toBeLessThanOrEqual(100);
  });
});

describe('reportSections and isPlaceholder', () => {
  it('drops HTML comments and keeps the label of each part', () => {
    const sections = reportSections('<!-- please fill in -->\n## Steps\n1. Open it\n## Notes\n');
    expect(sections).toEqual([
      { label: 'Steps', lines: ['1. Open it'] },
      { label: 'Notes', lines: [] },
    ]);
  });

  it('knows common template leftovers', () => {
    for (const line of ['_No response_', '1.', '...', "Go to '...'", 'N/A', '- [ ] tried it']) {
      expect(isPlaceholder(line)).toBe(true);
    }
    for (const line of ['1. Open the editor', 'Crashes on save', '- [x] tried it']) {
      expect(isPlaceholder(line)).toBe(false);
    }
  });
});
