import type { RecordingAnalysis } from '../recordings/analyzer/types';
import {
  embedJson,
  renderReplayPage,
  replayFailure,
  replayTimeline,
  replayTitle,
} from './replay-page';

function analysis(overrides: Partial<RecordingAnalysis> = {}): RecordingAnalysis {
  return {
    version: 1,
    startUrl: null,
    timeline: [],
    steps: [],
    errors: [],
    failedRequests: [],
    signals: [],
    failure: null,
    environment: {
      userAgent: null,
      browser: null,
      browserVersion: null,
      os: null,
      osVersion: null,
      device: null,
      viewport: null,
      locale: null,
      timezone: null,
    },
    uninterpreted: [],
    stats: { events: 0, bytes: 0, ms: 0 },
    ...overrides,
  };
}

describe('replayTimeline', () => {
  it('merges steps, errors, failed requests and signals in time order', () => {
    const entries = replayTimeline(
      analysis({
        steps: [
          { n: 1, t: 0, text: 'Opened /billing', count: 1 },
          { n: 2, t: 1_500, text: 'Clicked button "Save"', count: 1 },
        ],
        errors: [
          { t: 1_800, level: 'error', message: 'boom', uncaught: true, stack: [], url: null },
          { t: 900, level: 'warn', message: 'slow', uncaught: false, stack: [], url: null },
        ],
        failedRequests: [
          { t: 1_700, method: 'POST', url: '/api/billing', status: 500, durationMs: 40 },
          { t: 1_500, method: 'GET', url: '/api/x', status: 0, durationMs: 1, error: 'timeout' },
        ],
        signals: [{ kind: 'rage_click', t: 2_000, target: 'Save', text: 'Rage click on "Save"' }],
      }),
    );
    expect(entries).toEqual([
      { t: 0, kind: 'step', text: 'Opened /billing' },
      { t: 900, kind: 'warning', text: 'slow' },
      { t: 1_500, kind: 'step', text: 'Clicked button "Save"' },
      { t: 1_500, kind: 'request', text: 'GET /api/x → timeout' },
      { t: 1_700, kind: 'request', text: 'POST /api/billing → 500' },
      { t: 1_800, kind: 'error', text: 'Uncaught: boom' },
      { t: 2_000, kind: 'signal', text: 'Rage click on "Save"' },
    ]);
  });

  it('is empty without an analysis, and clips long text to one line', () => {
    expect(replayTimeline(null)).toEqual([]);
    const [entry] = replayTimeline(
      analysis({ steps: [{ n: 1, t: 5.6, text: `a\n\n${'b'.repeat(900)}`, count: 1 }] }),
    );
    expect(entry.t).toBe(6);
    expect(entry.text).toHaveLength(500);
    expect(entry.text.startsWith('a b')).toBe(true);
    expect(entry.text.endsWith('…')).toBe(true);
  });
});

describe('replayFailure and replayTitle', () => {
  it('shows a failure moment, but not "end of the recording"', () => {
    const at = (reason: 'error' | 'end') =>
      replayFailure(analysis({ failure: { t: 2_300, url: null, reason, text: 'It failed' } }));
    expect(at('error')).toEqual({ t: 2_300, text: 'It failed' });
    expect(at('end')).toBeNull();
  });

  it("titles the page with the report's first line", () => {
    expect(replayTitle('\n  Export is broken \nmore')).toBe('Export is broken');
    expect(replayTitle('  ')).toBe('Replay');
  });
});

describe('embedJson', () => {
  it('cannot close the script element or open a comment, and parses back to the value', () => {
    const value = { text: '</script><script>alert(1)</script><!-- & \u2028' };
    const json = embedJson(value);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('renderReplayPage', () => {
  it('puts recorded text only inside the JSON element', () => {
    const html = renderReplayPage(
      {
        title: '<b>title</b>',
        startAt: 0,
        eventsUrl: '/replay/x/events?exp=1&sig=y',
        analyzed: true,
        timeline: [{ t: 0, kind: 'step', text: '<img src=x onerror=alert(1)>' }],
        omitted: 0,
        failure: null,
      },
      { nonce: 'abc', assetsPath: '/base/replay/assets', assetsVersion: '123' },
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('<script src="/base/replay/assets/rrweb-player.js?v=123"></script>');
    expect(html).toContain('<script nonce="abc">');
  });
});
