import { RrwebBuilder } from '../../../../../test/factories/rrweb-builder';
import { analyzeRecording } from '../../../recordings/analyzer/analyzer';
import {
  liveMarkup,
  liveReferences,
  renderMarkdown,
  visibleText,
} from '../../../../../test/support/rendered-markdown';
import { composeDuplicateComment } from './duplicate-comment';
import { decidePriority } from './priority';
import {
  draftTitle,
  isOwnMarker,
  renderTicketBody,
  reportMarker,
  type TicketFacts,
} from './ticket-body';

const facts = (overrides: Partial<TicketFacts> = {}): TicketFacts => ({
  reportId: '2f6c1d1e-3a55-4a0e-9d8e-0a4c1a3c9b10',
  description: 'Export is broken\nThe CSV button does nothing since Monday.',
  pageUrl: 'https://app.acme.example/reports/export',
  pageTitle: 'Export',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
  client: { viewport: { width: 1280, height: 720 }, locale: 'en-GB', timezone: 'Europe/London' },
  sentry: { eventId: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6' },
  reporter: { name: 'Ana Lima', email: 'ana@acme.example', externalId: 'u1' },
  account: {
    name: 'Acme',
    externalId: 'acct_1',
    tier: 'enterprise',
    revenue: '120000.00',
    crmUrl: 'https://crm.example/acme',
  },
  recording: { eventCount: 412, durationMs: 95_000 },
  ...overrides,
});

describe('ticket body', () => {
  it('says why a kept recording gave no evidence when it could not be analysed', () => {
    const body = renderTicketBody(
      facts({ recordingUnusable: 'analysis failed: the recording ended abruptly' }),
    );
    expect(body).toContain(
      '- Session recording could not be analysed, so this ticket has no steps or errors from it: analysis failed: the recording ended abruptly',
    );
  });

  it('starts with the marker, then has the summary, evidence, environment and account in that order', () => {
    const body = renderTicketBody(facts());
    const order = ['## Summary', '## Evidence', '## Environment', '## Reporter and account'].map(
      (heading) => body.indexOf(heading),
    );
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(body).toContain('> Export is broken\n> The CSV button does nothing since Monday.');
    expect(body).toContain('- Viewport: 1280×720');
    expect(body).toContain('- Page: `https://app.acme.example/reports/export` (Export)');
    expect(body).toContain('- Session recording: 412 events over 95 s');
    expect(body).toContain('- Reporter: Ana Lima (`ana@acme.example`)');
    expect(body).toContain('- Tier: enterprise');
    expect(body.startsWith(`${reportMarker(facts().reportId)}\n`)).toBe(true);
    expect(isOwnMarker(body, reportMarker(facts().reportId))).toBe(true);
  });

  it('puts what the recording showed first: steps, then the replay at the failure, errors and failed requests', () => {
    const b = new RrwebBuilder()
      .load(0, (x) => [x.el('button', {}, ['Save changes'], 'save')])
      .click(2_000, 'save')
      .request(2_100, 'POST', '/api/billing?x=1', 500, 300)
      .consoleError(2_150, 'Request failed with status code 500');
    const analysis = analyzeRecording(b.events, { userAgent: facts().userAgent });
    const body = renderTicketBody(
      facts({ analysis, replayUrl: 'https://repro.example/replay/r1?t=2100&exp=1&sig=s' }),
    );
    const at = (text: string) => body.indexOf(text);
    expect(at('## Steps to reproduce')).toBeGreaterThan(at('## Summary'));
    expect(body).toContain('2. Clicked button "Save changes" _(00:02.0)_');
    expect(body).toContain(
      '- Replay at the moment of failure (00:02.1): https://repro.example/replay/r1?t=2100&exp=1&sig=s',
    );
    expect(body).toContain(
      '- Failure: At 00:02.1 on `https://app.acme.example/settings/billing`: POST /api/billing → 500',
    );
    expect(at('### Errors')).toBeGreaterThan(at('## Evidence'));
    expect(body).toContain('**Request failed with status code 500**');
    expect(body).toContain('`POST /api/billing` → 500 in 300 ms');
    expect(body).toContain('- Chrome 131 on Linux');
    expect(at('## Environment')).toBeGreaterThan(at('### Failed requests'));
  });

  it('leaves out sections with nothing to say', () => {
    const body = renderTicketBody(
      facts({
        pageUrl: null,
        pageTitle: null,
        userAgent: null,
        client: {},
        sentry: {},
        reporter: null,
        account: null,
        recording: null,
      }),
    );
    expect(body).not.toContain('- Page:');
    expect(body).not.toContain('## Environment');
    expect(body).not.toContain('## Evidence');
    expect(body).not.toContain('## Reporter and account');
    expect(body).toContain('## Summary');
  });

  it('shows hostile customer text as text: no HTML, links, images, headings, mentions or forged marker', () => {
    const forged = reportMarker('0e0e0e0e-1111-4222-8333-444455556666');
    const hostile = [
      'Export <img src=x onerror=alert(1)> <script>alert(1)</script> does nothing',
      '[click](javascript:alert(1)) ![](https://tracker.example/pixel.png)',
      'cc @octocat see #1',
      '# Heading',
      forged,
    ].join('\n');
    const b = new RrwebBuilder()
      .load(0, (x) => [x.el('button', {}, ['Save @octocat <img src=x>'], 'save')])
      .click(2_000, 'save')
      .request(2_100, 'POST', '/api/billing?x=<img src=x>', 500, 300)
      .consoleError(2_150, 'Failed: ![](https://tracker.example/e.png) @octocat #1');
    const body = renderTicketBody(
      facts({
        description: hostile,
        pageTitle: '<b>Billing</b> @octocat #1',
        pageUrl: 'javascript:alert(1)',
        reporter: { name: '@octocat <img src=x>', email: 'x@evil.example', externalId: 'u' },
        account: {
          name: '[Acme](javascript:alert(1)) #1',
          externalId: 'a',
          tier: '<i>gold</i>',
          revenue: null,
          crmUrl: 'https://tracker.example/crm',
        },
        client: { locale: '<img src=x>', timezone: '# zone' },
        analysis: analyzeRecording(b.events, { userAgent: facts().userAgent }),
        proposal: {
          title: 'Export does nothing',
          summary: 'Export does nothing, says @octocat <img src=x> (per the reporter).',
          steps: ['Open ![](https://tracker.example/p.png)', '# Click'],
          expected: '[ok](javascript:alert(1))',
          actual: '<script>x</script> @octocat',
          severity: 'medium',
          labels: ['bug'],
        },
      }),
    );
    const html = renderMarkdown(body);
    const live = liveMarkup(html);
    expect(live.images).toEqual([]);
    expect(live.links).toEqual([]);
    expect(live.rawHtml).toEqual([]);
    expect(live.comments).toEqual([reportMarker(facts().reportId)]);
    expect(live.headings.every((h) => !/Heading|Click|zone/.test(h))).toBe(true);
    expect(liveReferences(html)).toEqual([]);
    const seen = visibleText(html);
    expect(seen).toContain('Export <img src=x onerror=alert(1)> <script>alert(1)</script>');
    expect(seen).toContain('[click](javascript:alert(1))');
    expect(seen).toContain('cc @octocat see #1');
    expect(seen).toContain(forged);
    expect(isOwnMarker(body, forged)).toBe(false);

    const comment = composeDuplicateComment({
      report: {
        description: hostile,
        account: { name: '<img src=x> @octocat', externalId: 'a', tier: '#1' },
        reporter: { name: '[x](javascript:alert(1))' },
      } as never,
      recording: null,
      replayUrl: null,
      keepEmails: [],
    });
    const commentHtml = renderMarkdown(comment);
    expect(liveMarkup(commentHtml)).toMatchObject({ images: [], links: [], rawHtml: [] });
    expect(liveMarkup(commentHtml).comments).toEqual([]);
    expect(liveReferences(commentHtml)).toEqual([]);
    expect(visibleText(commentHtml)).toContain('cc @octocat see #1');
  });

  it('has a Priority line with its reasons in the summary, and none without a priority', () => {
    const priority = decidePriority({
      severity: 'medium',
      account: { tier: 'enterprise', revenue: 250_000 },
      reports: 1,
      accounts: 1,
      sentry: null,
    });
    const body = renderTicketBody(facts({ priority }));
    const summary = body.slice(body.indexOf('## Summary'), body.indexOf('## Evidence'));
    expect(summary).toContain(
      'Priority: **high** (Severity medium; Enterprise account (revenue 250,000))',
    );
    expect(renderTicketBody(facts())).not.toContain('Priority:');
  });

  it("shows a hostile tier in the priority's reasons as text", () => {
    const priority = decidePriority({
      severity: 'high',
      account: { tier: 'Enterprise <img src=x> [x](javascript:alert(1))', revenue: null },
      reports: 1,
      accounts: 1,
      sentry: null,
    });
    const html = renderMarkdown(renderTicketBody(facts({ account: null, priority })));
    expect(liveMarkup(html)).toMatchObject({ images: [], links: [], rawHtml: [] });
    expect(visibleText(html)).toContain('Enterprise <img src=x> [x](javascript:alert(1)) account');
  });

  describe("a mail's attachments", () => {
    const url = (id: string) =>
      `https://repro.example/attachments/${id}?exp=1900000000&sig=${'s'.repeat(43)}`;
    const email = (attachments: { filename: string; contentType: string; kind: string }[]) => ({
      attachments: attachments.map((a) => ({ ...a, size: 2048 })),
    });

    it('shows each stored image from its signed link and lists the other files with their size', () => {
      const body = renderTicketBody(
        facts({
          client: {
            email: email([
              { filename: 'screen.png', contentType: 'image/png', kind: 'image' },
              { filename: 'session.har', contentType: 'application/json', kind: 'har' },
              { filename: 'logo.svg', contentType: 'image/svg+xml', kind: 'image' },
              { filename: 'notes.txt', contentType: 'text/plain', kind: 'other' },
            ]),
          },
          emailImages: [{ position: 0, url: url('a1') }],
        }),
      );
      const section = body.slice(body.indexOf('### Email attachments'));
      expect(section).toContain(
        `- Image: \`screen.png\` (2.0 KB)\n  ![screen\\.png](${url('a1')})\n- HAR file: \`session.har\` (2.0 KB)\n- Image: \`logo.svg\` (2.0 KB), not shown\n- File: \`notes.txt\` (2.0 KB)`,
      );
      const live = liveMarkup(renderMarkdown(body));
      expect(live.images).toEqual([
        `<img src="${url('a1').replace(/&/g, '&amp;')}" alt="screen.png">`,
      ]);
      expect(live.links).toEqual([]);
    });

    it('says nothing is missing when the images were not looked up', () => {
      const body = renderTicketBody(
        facts({
          client: {
            email: email([{ filename: 'screen.png', contentType: 'image/png', kind: 'image' }]),
          },
        }),
      );
      expect(body).toContain('- Image: `screen.png` (2.0 KB)\n');
      expect(body).not.toContain('not shown');
      expect(body).not.toContain('![');
    });

    it('shows a hostile filename as the image text, never as a link, HTML or a second image', () => {
      const hostile = '](javascript:alert(1))<img src=x>.png';
      const body = renderTicketBody(
        facts({
          client: {
            email: email([
              { filename: hostile, contentType: 'image/png', kind: 'image' },
              { filename: `${hostile} @octocat #1`, contentType: 'text/plain', kind: 'other' },
            ]),
          },
          emailImages: [{ position: 0, url: url('b2') }],
        }),
      );
      const html = renderMarkdown(body);
      const live = liveMarkup(html);
      expect(live.images).toHaveLength(1);
      const alt = /alt="([^"]*)"/.exec(live.images[0])?.[1];
      expect(visibleText(alt ?? '')).toBe(hostile);
      expect(live.images[0]).toContain(`src="${url('b2').replace(/&/g, '&amp;')}"`);
      expect(live.links).toEqual([]);
      expect(live.rawHtml).toEqual([]);
      expect(liveReferences(html)).toEqual([]);
      expect(visibleText(html)).toContain(`${hostile} @octocat #1`);
    });
  });

  it('keeps a user agent with backticks inside its code span', () => {
    expect(renderTicketBody(facts({ userAgent: 'odd`agent' }))).toContain('``odd`agent``');
  });
});

describe('draft title', () => {
  it('uses the first line, whitespace collapsed', () => {
    expect(draftTitle('  Export   is broken \nmore detail')).toBe('Export is broken');
  });

  it('cuts long lines at a word boundary with an ellipsis', () => {
    const title = draftTitle(
      'When I try to export the quarterly revenue report as CSV the button spins forever and nothing downloads at all',
    );
    expect(title.length).toBeLessThanOrEqual(80);
    expect(title.endsWith('…')).toBe(true);
    expect(title).toMatch(
      /^When I try to export the quarterly revenue report as CSV the button spins\S*…$/,
    );
  });

  it('never returns an empty title', () => {
    expect(draftTitle('   \n  ')).toBe('Bug report');
  });

  it('shows the matched Sentry issue, why it matched, its frames and breadcrumbs, escaped', () => {
    const body = renderTicketBody(
      facts({
        sentryIssue: {
          id: '4500000007',
          shortId: 'WEB-7',
          title: 'TypeError: Cannot read properties of undefined (reading *id*)',
          permalink: 'https://sentry.io/organizations/acme/issues/4500000007/',
          culprit: 'saveCard(app/billing)',
          events: 128,
          usersAffected: 17,
          firstSeen: '2026-11-01T10:00:00Z',
          lastSeen: '2026-11-20T14:03:00Z',
          release: 'web@4.2.0',
          environment: 'production',
          eventId: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6',
          frames: ['app/billing/card.ts:12 saveCard', 'app/billing/form.ts:40 onSubmit'],
          breadcrumbs: [
            {
              at: '2026-11-20T14:02:58.120Z',
              category: 'fetch',
              message: 'POST /api/billing → 500',
            },
          ],
          replayUrl: 'https://sentry.io/organizations/acme/replays/0f1e2d3c/',
          score: 0.93,
          reasons: ['same user ana@…, 2 min before report', 'error text matches: x'],
        },
      }),
    );
    expect(body).toContain(
      '- Sentry issue: [WEB-7](https://sentry.io/organizations/acme/issues/4500000007/) TypeError: Cannot read properties of undefined (reading \\*id\\*)',
    );
    expect(body).toContain(
      '  - 128 events, 17 users, first seen 2026-11-01T10:00:00Z, last seen 2026-11-20T14:03:00Z',
    );
    expect(body).toContain(
      '  - Matched with score 0.93: same user ana@…, 2 min before report; error text matches: x',
    );
    expect(body).toContain(
      '- Sentry replay: https://sentry.io/organizations/acme/replays/0f1e2d3c/',
    );
    expect(body).toContain(
      '### Stack trace (Sentry WEB-7)\n\n```\napp/billing/card.ts:12 saveCard\napp/billing/form.ts:40 onSubmit\n```',
    );
    expect(body).toContain('- 14:02:58 `fetch` POST /api/billing → 500');
    // The stack and breadcrumbs sit inside the evidence, before the environment.
    expect(body.indexOf('### Stack trace')).toBeLessThan(body.indexOf('## Environment'));
  });
});
