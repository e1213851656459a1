import { RrwebBuilder } from '../../../test/factories/rrweb-builder';
import { analyzeRecording } from '../recordings/analyzer/analyzer';
import { errorFingerprint, reportSignals } from './report-signals';

describe('errorFingerprint', () => {
  it('is the same across sessions, line numbers and bundle hashes, and differs by where it was thrown', () => {
    const a = errorFingerprint(
      "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
      ['saveCard (https://app.example.com/static/js/main.3f2a1b9c.js:120:15)'],
    );
    const b = errorFingerprint('TypeError: Cannot read properties of undefined (reading "id")', [
      'at saveCard (https://cdn.example.com/static/js/main.77aa01de.js:131:2)',
    ]);
    const elsewhere = errorFingerprint(
      "TypeError: Cannot read properties of undefined (reading 'id')",
      ['at renderList (https://app.example.com/static/js/main.3f2a1b9c.js:9:1)'],
    );
    expect(a?.value).toBe(b?.value);
    expect(a?.value).not.toBe(elsewhere?.value);
    expect(a?.label).toBe("Uncaught TypeError: Cannot read properties of undefined (reading 'id')");
  });
});

describe('reportSignals', () => {
  it('turns a recording into the Sentry issue, error, route, failing request and last click keys', () => {
    const b = new RrwebBuilder('https://app.acme.example/projects/8812/settings');
    b.load(0, (x) => [x.el('button', {}, ['Save changes'], 'save')])
      .click(1_000, 'save')
      .request(1_200, 'POST', 'https://api.acme.example/api/projects/8812/billing?x=1', 500)
      .consoleError(1_300, 'Error: Billing update failed for 8812');
    const signals = reportSignals({
      analysis: analyzeRecording(b.events),
      pageUrl: null,
      sentryIssue: { id: '4500000001', shortId: 'WEB-1' },
    });
    expect(
      signals.map((s) => [s.kind, s.kind === 'error_fingerprint' ? s.label : s.value]),
    ).toEqual([
      ['sentry_issue', '4500000001'],
      ['error_fingerprint', 'Error: Billing update failed for 8812'],
      ['route', '/projects/:id/settings'],
      ['failing_request', 'POST /api/projects/:id/billing 500'],
      ['clicked_element', '/projects/:id/settings button "Save changes"'],
    ]);
  });

  it('has only the page route without a recording', () => {
    expect(
      reportSignals({
        analysis: null,
        pageUrl: 'https://app.acme.example/teams/42/invites',
        sentryIssue: null,
      }),
    ).toEqual([{ kind: 'route', value: '/teams/:id/invites', label: '/teams/:id/invites' }]);
  });
});
