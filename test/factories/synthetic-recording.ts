/**
 * Realistic rrweb recordings of any size for benchmarks: a page of a few thousand nodes, then
 * the mix a real session has (mouse moves dominate, DOM mutations, clicks, typing, scrolling,
 * console output, network events) with a checkout full snapshot every few MB.
 */

let nextId = 1;

function element(tagName: string, attributes: Record<string, string>, childNodes: unknown[] = []) {
  return { type: 2, tagName, attributes, childNodes, id: nextId++ };
}
function text(textContent: string) {
  return { type: 3, textContent, id: nextId++ };
}

function card(i: number) {
  return element(
    'div',
    {
      class: 'card row-item',
      'data-row': String(i),
      style: 'display:flex;gap:8px;padding:12px 16px;border-bottom:1px solid #eee',
    },
    [
      element('span', { class: 'title' }, [
        text(`Invoice #${10_000 + i} for Acme Corporation, quarterly plan`),
      ]),
      element('span', { class: 'amount' }, [text(`$${(i * 37.5).toFixed(2)}`)]),
      element(
        'button',
        { class: 'btn btn-secondary', type: 'button', 'aria-label': `Open invoice ${10_000 + i}` },
        [text('Open')],
      ),
    ],
  );
}

function page(rows: number) {
  nextId = 1;
  const doc = { type: 0, childNodes: [] as unknown[], id: nextId++ };
  const head = element('head', {}, [
    element('title', {}, [text('Billing · Acme')]),
    element('style', {}, [text('.card{display:flex}'.repeat(200))]),
  ]);
  const list = element(
    'main',
    { id: 'main' },
    Array.from({ length: rows }, (_, i) => card(i)),
  );
  const form = element('form', { id: 'billing' }, [
    element('label', { for: 'card' }, [text('Card number')]),
    element('input', { id: 'card', type: 'text', name: 'cardnumber', value: '' }),
    element('button', { type: 'submit', id: 'save' }, [text('Save changes')]),
  ]);
  doc.childNodes.push(
    { type: 1, name: 'html', publicId: '', systemId: '', id: nextId++ },
    element('html', { lang: 'en' }, [head, element('body', {}, [form, list])]),
  );
  return doc;
}

/** Yields JSON text pieces of a recording array of roughly `targetBytes`. */
export function* syntheticRecording(targetBytes: number, rows = 400): Generator<string> {
  let ts = 1_700_000_000_000;
  let bytes = 0;
  let first = true;
  const emit = (event: unknown) => {
    const json = (first ? '' : ',') + JSON.stringify(event);
    first = false;
    bytes += json.length;
    return json;
  };
  yield '[';
  const snapshot = () => [
    emit({
      type: 4,
      data: { href: 'https://app.acme.example/settings/billing', width: 1440, height: 900 },
      timestamp: ts,
    }),
    emit({
      type: 2,
      data: { node: page(rows), initialOffset: { top: 0, left: 0 } },
      timestamp: ts + 5,
    }),
  ];
  yield* snapshot();
  let sinceCheckout = 0;
  let i = 0;
  while (bytes < targetBytes) {
    i++;
    ts += 40 + (i % 7) * 10;
    const before = bytes;
    const positions = Array.from({ length: 6 }, (_, k) => ({
      x: 100 + ((i * 13 + k) % 900),
      y: 50 + ((i * 7 + k) % 700),
      id: 20 + (i % 50),
      timeOffset: -k * 16,
    }));
    yield emit({ type: 3, data: { source: 1, positions }, timestamp: ts });
    if (i % 5 === 0) {
      const id = nextId;
      yield emit({
        type: 3,
        data: {
          source: 0,
          texts: [{ id: 12, value: `Updated ${i}` }],
          attributes: [
            {
              id: 30 + (i % 40),
              attributes: { class: i % 2 ? 'card row-item active' : 'card row-item' },
            },
          ],
          removes: i % 10 === 0 ? [{ parentId: 25, id: id - 3 }] : [],
          adds: [{ parentId: 25, nextId: null, node: card(100_000 + i) }],
        },
        timestamp: ts + 3,
      });
    }
    if (i % 37 === 0)
      yield emit({
        type: 3,
        data: { source: 2, type: 2, id: 22, x: 400, y: 300 },
        timestamp: ts + 5,
      });
    if (i % 53 === 0)
      yield emit({
        type: 3,
        data: {
          source: 5,
          text: '**** **** **** ****',
          isChecked: false,
          userTriggered: true,
          id: 20,
        },
        timestamp: ts + 7,
      });
    if (i % 23 === 0)
      yield emit({
        type: 3,
        data: { source: 3, id: 1, x: 0, y: (i * 11) % 4000 },
        timestamp: ts + 9,
      });
    if (i % 97 === 0) {
      yield emit({
        type: 5,
        data: {
          tag: 'repro/network',
          payload: {
            method: 'POST',
            url: '/api/billing',
            status: i % 2 ? 500 : 200,
            durationMs: 120,
          },
        },
        timestamp: ts + 11,
      });
      yield emit({
        type: 6,
        data: {
          plugin: 'rrweb/console@1',
          payload: {
            level: 'error',
            trace: ['save (https://app.acme.example/app.js:10:5)'],
            payload: ['"Request failed with status code 500"'],
          },
        },
        timestamp: ts + 12,
      });
    }
    sinceCheckout += bytes - before;
    if (sinceCheckout > 4_000_000) {
      sinceCheckout = 0;
      ts += 10;
      yield* snapshot();
    }
  }
  yield ']';
}
