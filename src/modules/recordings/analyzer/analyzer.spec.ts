import { pack } from '@rrweb/packer/pack';
import { RrwebBuilder } from '../../../../test/factories/rrweb-builder';
import { analyzeRecording, THRESHOLDS } from './analyzer';

function billingPage(b: RrwebBuilder) {
  return [
    b.el('nav', {}, [
      b.el('a', { href: '/settings/billing' }, ['Billing'], 'billingLink'),
      b.el('a', { href: '/settings/team', class: 'nav-link' }, ['Team'], 'teamLink'),
    ]),
    b.el('form', { id: 'billing-form' }, [
      b.el('label', { for: 'card' }, ['Card number']),
      b.el('input', { id: 'card', type: 'text', autocomplete: 'cc-number' }, [], 'card'),
      b.el('label', {}, [
        'Company name',
        b.el('input', { type: 'text', name: 'company' }, [], 'company'),
      ]),
      b.el('input', { type: 'email', placeholder: 'Billing email' }, [], 'email'),
      b.el('input', { type: 'checkbox', id: 'terms' }, [], 'terms'),
      b.el('label', { for: 'terms' }, ['I accept the terms']),
      b.el(
        'button',
        { type: 'submit', class: 'btn primary' },
        [b.el('span', {}, ['Save changes'], 'saveLabel')],
        'save',
      ),
      b.el(
        'button',
        { type: 'button', 'aria-label': 'Close dialog' },
        [b.el('svg', {}, [])],
        'close',
      ),
      b.el('div', { id: 'status' }, [], 'status'),
    ]),
  ];
}

describe('recording analyzer', () => {
  it('names what was clicked the way a person sees it, with a CSS path for engineers', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .click(1_000, 'saveLabel')
      .render(1_100, 'status')
      .click(3_000, 'close')
      .render(3_050, 'status');
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Clicked button "Save changes"',
      'Clicked button "Close dialog"',
    ]);
    expect(analysis.steps[1].target).toMatchObject({
      tag: 'button',
      role: 'button',
      name: 'Save changes',
    });
    expect(analysis.steps[1].target?.selector).toBe(
      'form#billing-form > button.btn.primary:nth-of-type(1)',
    );
  });

  it('leaves out clicks and typing in parts the recorder did not record (the widget, blocked elements)', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .click(1_000, 'saveLabel')
      .render(1_100, 'status')
      .click(2_000, -1);
    b.raw({
      type: 3,
      data: { source: 5, text: '****', isChecked: false, userTriggered: true, id: -1 },
      timestamp: b.t0 + 2_500,
    });
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Clicked button "Save changes"',
    ]);
    expect(analysis.uninterpreted).toEqual([]);
  });

  it('names fields by their label, wrapping label or placeholder, and never echoes masked or sensitive values', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .type(500, 'card', '4242424242424242', true)
      .type(2_000, 'company', 'Acme Ltda')
      .type(3_000, 'email', 'ana@acme.example')
      .check(4_000, 'terms', true);
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Typed into "Card number"',
      'Typed "Acme Ltda" into "Company name"',
      'Typed into "Billing email"',
      'Checked "I accept the terms"',
    ]);
    const everything = JSON.stringify(analysis);
    expect(everything).not.toContain('4242');
    expect(everything).not.toContain('ana@acme');
  });

  it('does not echo a value typed unmasked into a card-like field', () => {
    const b = new RrwebBuilder().load(0, billingPage).type(500, 'card', '4242 4242 4242 4242');
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps[1].text).toBe('Typed into "Card number"');
    expect(JSON.stringify(analysis)).not.toContain('4242');
  });

  it('follows single-page navigation through link clicks and the widget navigation event', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .click(1_000, 'teamLink')
      .render(1_100, 'status')
      .navigation(1_150, 'https://app.acme.example/settings/team')
      .navigation(5_000, 'https://app.acme.example/projects/8812/settings?tab=general', 'pushState')
      .consoleError(6_000, 'boom');
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Clicked link "Team" (→ /settings/team)',
      'Navigated to /projects/8812/settings',
    ]);
    expect(analysis.failure).toMatchObject({
      t: 6_000,
      url: 'https://app.acme.example/projects/8812/settings?tab=general',
      reason: 'error',
    });
  });

  it('collapses repeated clicks into one step and flags a rage click', () => {
    const b = new RrwebBuilder().load(0, billingPage);
    for (let i = 0; i < 5; i++) b.click(2_000 + i * 150, 'save');
    b.render(2_050, 'status');
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.at(-1)?.text).toBe('Clicked button "Save changes" 5 times');
    const rage = analysis.signals.filter((s) => s.kind === 'rage_click');
    expect(rage).toHaveLength(1);
    expect(rage[0]).toMatchObject({ t: 2_041, target: 'button "Save changes"', count: 5 });
  });

  it('does not call slow repeated clicks a rage click', () => {
    const b = new RrwebBuilder().load(0, billingPage);
    for (let i = 0; i < 4; i++) b.click(2_000 + i * 700, 'save').render(2_100 + i * 700, 'status');
    expect(analyzeRecording(b.events).signals.filter((s) => s.kind === 'rage_click')).toEqual([]);
  });

  it(`flags a dead click: nothing changed for ${THRESHOLDS.deadClickMs} ms`, () => {
    const b = new RrwebBuilder().load(0, billingPage).click(1_000, 'close').scroll(5_000, 300);
    const dead = analyzeRecording(b.events).signals.filter((s) => s.kind === 'dead_click');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ t: 1_041, target: 'button "Close dialog"' });
  });

  it('does not call a click dead when the page, the network or the URL reacted', () => {
    const reacted = [
      new RrwebBuilder()
        .load(0, billingPage)
        .click(1_000, 'save')
        .render(2_200, 'status')
        .scroll(5_000, 10),
      new RrwebBuilder()
        .load(0, billingPage)
        .click(1_000, 'save')
        .request(1_300, 'POST', '/api/billing', 200)
        .scroll(5_000, 10),
      new RrwebBuilder()
        .load(0, billingPage)
        .click(1_000, 'save')
        .navigation(1_400, 'https://app.acme.example/done')
        .scroll(5_000, 10),
    ];
    for (const b of reacted) {
      expect(analyzeRecording(b.events).signals.filter((s) => s.kind === 'dead_click')).toEqual([]);
    }
    // Fields react by taking focus and typing, not by changing the DOM.
    const field = new RrwebBuilder().load(0, billingPage).click(1_000, 'company').scroll(5_000, 10);
    expect(analyzeRecording(field.events).signals.filter((s) => s.kind === 'dead_click')).toEqual(
      [],
    );
  });

  it('reads console errors, warnings and uncaught errors from the console plugin, with stacks', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .consoleError(1_000, 'Deprecated API', { level: 'warn' })
      .consoleError(
        2_000,
        "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
        {
          trace: [
            'saveCard (https://app.acme.example/static/billing.js:42:17)',
            'HTMLButtonElement.onclick (https://app.acme.example/settings/billing:1:1)',
          ],
        },
      )
      .consoleError(3_000, '', { raw: ['"Uncaught (in promise) Error: Network down"'] })
      .consoleError(4_000, '', { level: 'log', raw: ['"just chatter"'] });
    const { errors } = analyzeRecording(b.events);
    expect(errors.map((e) => [e.t, e.level, e.uncaught, e.message])).toEqual([
      [1_000, 'warn', false, 'Deprecated API'],
      [
        2_000,
        'error',
        true,
        "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
      ],
      [3_000, 'error', true, 'Uncaught (in promise) Error: Network down'],
    ]);
    expect(errors[1].stack[0]).toBe('saveCard (https://app.acme.example/static/billing.js:42:17)');
    expect(errors[1].url).toBe('https://app.acme.example/settings/billing');
  });

  it('lists failed requests without their query strings and marks the failure at the first error after the last action', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .consoleError(500, 'old noise before anything')
      .type(1_000, 'company', 'Acme')
      .click(3_000, 'save')
      .request(3_100, 'GET', '/api/me?token=abc', 200)
      .request(3_300, 'POST', 'https://app.acme.example/api/billing?session=s3cr3t', 500, 312)
      .consoleError(3_350, 'Request failed with status code 500')
      .request(6_000, 'GET', '/api/health', 0, 20, 'Failed to fetch');
    const analysis = analyzeRecording(b.events);
    expect(analysis.failedRequests).toEqual([
      {
        t: 3_300,
        method: 'POST',
        url: 'https://app.acme.example/api/billing',
        status: 500,
        durationMs: 312,
      },
      {
        t: 6_000,
        method: 'GET',
        url: '/api/health',
        status: 0,
        durationMs: 20,
        error: 'Failed to fetch',
      },
    ]);
    expect(JSON.stringify(analysis)).not.toContain('s3cr3t');
    expect(analysis.failure).toMatchObject({
      t: 3_300,
      reason: 'failed_request',
      url: 'https://app.acme.example/settings/billing',
    });
    expect(analysis.steps.map((s) => s.text).at(-1)).toBe('Clicked button "Save changes"');
  });

  it('falls back to the last sign of trouble for the failure moment, and to none when nothing failed', () => {
    const withSignal = new RrwebBuilder()
      .load(0, billingPage)
      .click(1_000, 'close')
      .scroll(4_000, 200);
    expect(analyzeRecording(withSignal.events).failure).toMatchObject({
      t: 1_041,
      reason: 'signal',
    });
    const quiet = new RrwebBuilder()
      .load(0, billingPage)
      .click(1_000, 'save')
      .render(1_100, 'status')
      .scroll(9_000, 50);
    expect(analyzeRecording(quiet.events).failure).toBeNull();
    expect(analyzeRecording([]).failure).toBeNull();
  });

  it('never takes a resize or a reload for the moment of failure', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage, undefined, 1280, 800)
      .resize(1_100, 800, 600)
      .load(3_000, billingPage, undefined, 800, 600);
    const analysis = analyzeRecording(b.events);
    expect(analysis.signals.map((s) => s.kind)).toEqual(['viewport', 'reload']);
    expect(analysis.failure).toBeNull();
  });

  it('lists steps in time order even when a scroll, typing or a resize ends after later steps begin', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage, undefined, 1280, 800)
      .resize(1_100, 800, 600)
      .click(2_400, 'save')
      .render(2_450, 'status')
      .scroll(7_500, 300)
      .type(8_300, 'company', 'Acme')
      .scroll(8_600, 600);
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => [s.t, s.text])).toEqual([
      [0, 'Opened https://app.acme.example/settings/billing'],
      [1_100, 'Resized the window to 800×600'],
      [2_441, 'Clicked button "Save changes"'],
      [7_500, 'Scrolled down the page'],
      [8_350, 'Typed "Acme" into "Company name"'],
      [8_600, 'Scrolled down the page'],
    ]);
  });

  it("says from which size the window changed: the Meta event's, even when a reload follows", () => {
    const b = new RrwebBuilder()
      .load(0, billingPage, undefined, 1280, 800)
      .resize(1_100, 800, 600)
      .load(1_500, billingPage, undefined, 800, 600)
      .resize(4_000, 390, 844);
    const analysis = analyzeRecording(b.events);
    expect(analysis.signals.filter((s) => s.kind === 'viewport').map((s) => s.text)).toEqual([
      'Viewport changed from 1280×800 to 800×600',
      'Viewport changed from 800×600 to 390×844',
    ]);
  });

  it('reads a reload the page reports after an unseen SPA route change as a reload', () => {
    const b = new RrwebBuilder().load(0, billingPage).click(1_000, 'save').render(1_050, 'status');
    b.load(3_000, billingPage, 'https://app.acme.example/settings/invoices').navigation(
      3_010,
      'https://app.acme.example/settings/invoices',
      'reload',
    );
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Clicked button "Save changes"',
      'Reloaded the page',
    ]);
    expect(analysis.timeline.some((e) => e.text.startsWith('Navigated'))).toBe(false);
  });

  it('reads a reload after an SPA link navigation as a reload once the page was used in between', () => {
    const b = new RrwebBuilder().load(0, billingPage).click(1_000, 'teamLink');
    b.type(2_000, 'company', 'Acme');
    b.load(4_000, billingPage, 'https://app.acme.example/settings/team');
    const analysis = analyzeRecording(b.events);
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Clicked link "Team" (→ /settings/team)',
      'Typed "Acme" into "Company name"',
      'Reloaded the page',
    ]);
  });

  it('does not call a click dead when the page answered with a burst rrweb took long to serialize', () => {
    const burst = (from: number) =>
      Array.from({ length: 4_000 }, (_, i) => ({
        parentId: 0,
        nextId: null,
        node: { type: 3, id: from + i, textContent: `Card ${i}` },
      }));
    const b = new RrwebBuilder().load(0, billingPage).click(1_000, 'save');
    b.mutate(2_600, { adds: burst(10_000).map((a) => ({ ...a, parentId: b.idOf('status') })) });
    b.click(4_000, 'close').mutate(5_600, { texts: [{ id: b.idOf('status'), value: 'Closed' }] });
    const dead = analyzeRecording(b.events).signals.filter((s) => s.kind === 'dead_click');
    expect(dead.map((s) => s.target)).toEqual(['button "Close dialog"']);
  });

  it('reads a second tab appended to the first in time order, as another tab', () => {
    const first = new RrwebBuilder().load(5_000, billingPage).click(9_000, 'save');
    first.render(9_050, 'status');
    const second = new RrwebBuilder('https://app.acme.example/settings/team').load(
      6_000,
      billingPage,
    );
    second.type(7_000, 'company', 'Acme');
    const analysis = analyzeRecording([...first.events, ...second.events]);
    expect(analysis.steps.map((s) => [s.t, s.text])).toEqual([
      [0, 'Opened https://app.acme.example/settings/billing'],
      [1_000, 'Opened https://app.acme.example/settings/team in another tab'],
      [2_050, 'Typed "Acme" into "Company name"'],
      [4_041, 'Clicked button "Save changes"'],
    ]);
    expect(analysis.uninterpreted).toEqual([]);
  });

  it('flags an error burst once, counting every error in it', () => {
    const b = new RrwebBuilder().load(0, billingPage);
    for (let i = 0; i < 5; i++) b.consoleError(1_000 + i * 300, `Failed ${i}`);
    const bursts = analyzeRecording(b.events).signals.filter((s) => s.kind === 'error_burst');
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ t: 1_000, count: 5 });
  });

  it('tells a reload from a periodic checkout snapshot', () => {
    const b = new RrwebBuilder().load(0, billingPage).click(1_000, 'save').render(1_050, 'status');
    const saveId = b.idOf('save');
    b.checkout(5_000, [{ type: 2, tagName: 'button', attributes: {}, id: saveId, childNodes: [] }]);
    b.load(8_000, billingPage);
    const analysis = analyzeRecording(b.events);
    expect(analysis.signals.filter((s) => s.kind === 'reload').map((s) => s.t)).toEqual([8_000]);
    expect(analysis.steps.map((s) => s.text)).toContain('Reloaded the page');
  });

  it('treats a page load of a different URL as navigation, and resize as a viewport signal', () => {
    const b = new RrwebBuilder()
      .load(0, billingPage)
      .load(3_000, billingPage, 'https://app.acme.example/settings/team')
      .resize(4_000, 800, 600)
      .resize(4_200, 390, 844);
    const analysis = analyzeRecording(b.events, {
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    });
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Navigated to /settings/team',
      'Resized the window to 390×844',
    ]);
    expect(analysis.signals.filter((s) => s.kind === 'viewport')).toEqual([
      expect.objectContaining({ t: 4_000, target: '390×844' }),
    ]);
    expect(analysis.environment).toMatchObject({
      browser: 'Mobile Safari',
      os: 'iOS',
      osVersion: '17.5',
      device: 'mobile Apple iPhone',
      viewport: { width: 390, height: 844 },
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    });
  });

  it('survives real-world mess: missing nodes, out-of-order time, unknown events, garbage, packed events', () => {
    const b = new RrwebBuilder().load(0, billingPage);
    b.mutate(1_000, {
      removes: [{ parentId: 999, id: 12_345 }],
      texts: [{ id: 54_321, value: 'x' }],
      attributes: [{ id: 777, attributes: { class: 'y' } }],
    })
      .mutate(1_100, {
        adds: [
          {
            parentId: 4_242,
            nextId: null,
            node: { type: 2, tagName: 'div', attributes: {}, childNodes: [], id: 5_000 },
          },
        ],
      })
      .raw({ type: 99, data: {}, timestamp: b.t0 + 1_200 })
      .raw({ type: 3, data: { source: 42 }, timestamp: b.t0 + 1_300 })
      .raw({ type: 5, data: { tag: 'app/checkout-step', payload: {} }, timestamp: b.t0 + 1_400 })
      .click(900, 'save')
      .click(2_000, 98_765);
    const events: unknown[] = [...b.events, null, 'not packed', 42, { type: 3 }];
    events.push(
      pack({
        type: 6,
        data: {
          plugin: 'rrweb/console@1',
          payload: { level: 'error', trace: [], payload: ['"packed boom"'] },
        },
        timestamp: b.t0 + 3_000,
      }),
    );
    const analysis = analyzeRecording(events);
    expect(analysis.errors.map((e) => e.message)).toEqual(['packed boom']);
    const whats = analysis.uninterpreted.map((u) => u.what);
    expect(whats).toEqual(
      expect.arrayContaining([
        'unknown event type 99',
        'unknown incremental source 42',
        'custom event "app/checkout-step"',
        'malformed event (no type or timestamp)',
        'unreadable packed event',
        'events with timestamps out of order (kept in arrival order)',
        'DOM changes that referenced nodes never seen',
        'clicks on elements never seen',
      ]),
    );
    expect(analysis.stats.events).toBe(events.length);
  });

  it('names elements inside iframes and shadow roots added by mutations', () => {
    const b = new RrwebBuilder().load(0, (bb) => [
      bb.el('iframe', { src: '/embed' }, [], 'frame'),
      bb.el('div', { id: 'host' }, [], 'host'),
    ]);
    b.mutate(500, {
      adds: [
        {
          parentId: b.idOf('frame'),
          nextId: null,
          node: {
            type: 0,
            id: 500,
            childNodes: [
              {
                type: 2,
                tagName: 'html',
                attributes: {},
                id: 501,
                childNodes: [
                  {
                    type: 2,
                    tagName: 'button',
                    attributes: {},
                    id: 502,
                    childNodes: [{ type: 3, textContent: 'Pay now', id: 503 }],
                  },
                ],
              },
            ],
          },
        },
        {
          parentId: b.idOf('host'),
          nextId: null,
          node: {
            type: 2,
            tagName: 'button',
            attributes: { title: 'Open menu' },
            id: 600,
            childNodes: [],
            isShadow: true,
          },
        },
      ],
    });
    b.click(1_000, 502).render(1_050, 'host').click(2_000, 600).render(2_050, 'host');
    expect(
      analyzeRecording(b.events)
        .steps.slice(1)
        .map((s) => s.text),
    ).toEqual(['Clicked button "Pay now"', 'Clicked button "Open menu"']);
  });

  it('collapses forty scroll events into one step', () => {
    const b = new RrwebBuilder().load(0, billingPage);
    for (let i = 0; i < 40; i++) b.scroll(1_000 + i * 30, i * 50);
    b.click(3_000, 'save').render(3_010, 'status');
    expect(analyzeRecording(b.events).steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Scrolled down the page',
      'Clicked button "Save changes"',
    ]);
  });
});

describe('recording analyzer: ties and fallbacks', () => {
  it('breaks a same-millisecond tie between a failed request and the error it caused by arrival', () => {
    const b = new RrwebBuilder()
      .load(0, (x) => [x.el('button', {}, ['Save'], 'save')])
      .click(1_000, 'save')
      .request(1_200, 'POST', '/api/billing', 500)
      .consoleError(1_200, 'Saving failed: 500');
    expect(analyzeRecording(b.events).failure).toMatchObject({
      t: 1_200,
      reason: 'failed_request',
    });
    const reversed = new RrwebBuilder()
      .load(0, (x) => [x.el('button', {}, ['Save'], 'save')])
      .click(1_000, 'save')
      .consoleError(1_200, 'TypeError: x is undefined')
      .request(1_200, 'POST', '/api/billing', 500);
    expect(analyzeRecording(reversed.events).failure).toMatchObject({ t: 1_200, reason: 'error' });
  });

  it('keeps the error-burst timeline entry in step with its signal', () => {
    const b = new RrwebBuilder().load(0, (x) => [x.el('div', {}, [], 'root')]);
    for (let i = 0; i < 5; i++) b.consoleError(1_000 + i * 300, `Failed ${i}`);
    const analysis = analyzeRecording(b.events);
    expect(analysis.timeline.find((e) => e.text.startsWith('Error burst'))?.text).toBe(
      'Error burst: 5 errors within 1.2 s',
    );
  });

  it('does not let a reload cut off the steps after it, nor take the failure from a dead click', () => {
    const page = (x: RrwebBuilder) => [
      x.el('button', {}, ['Export'], 'export'),
      x.el('div', {}, [], 'out'),
    ];
    const b = new RrwebBuilder().load(0, page).click(500, 'export').scroll(3_000, 100);
    b.load(4_000, page).click(5_000, 'export').render(5_100, 'out');
    const analysis = analyzeRecording(b.events);
    expect(analysis.failure).toMatchObject({ reason: 'signal', t: 541 });
    expect(analysis.steps.map((s) => s.text)).toEqual([
      'Opened https://app.acme.example/settings/billing',
      'Clicked button "Export"',
      'Scrolled down the page',
      'Reloaded the page',
      'Clicked button "Export"',
    ]);
  });

  it('names unhandled promise rejections as such in the timeline', () => {
    const b = new RrwebBuilder()
      .load(0, (x) => [x.el('div', {}, [], 'root')])
      .consoleError(1_000, 'Uncaught (in promise) Error: Report service unavailable');
    expect(analyzeRecording(b.events).timeline.at(-1)?.text).toBe(
      'Unhandled promise rejection: Error: Report service unavailable',
    );
  });
});
