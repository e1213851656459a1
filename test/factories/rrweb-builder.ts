/**
 * Builds rrweb event streams by hand for analyzer unit tests: a page with named elements, then
 * clicks, typing, navigation, console errors and network events at chosen times. Shapes follow
 * @rrweb/types; the browser tests record the real thing.
 */
type Node = Record<string, unknown> & { id: number };

export class RrwebBuilder {
  readonly events: Record<string, unknown>[] = [];
  private id = 1;
  private readonly ids = new Map<string, number>();
  t0 = 1_700_000_000_000;

  constructor(private href = 'https://app.acme.example/settings/billing') {}

  /** Node id of an element created with `key`. */
  idOf(key: string): number {
    const id = this.ids.get(key);
    if (id === undefined) throw new Error(`no element ${key}`);
    return id;
  }

  el(
    tagName: string,
    attributes: Record<string, string> = {},
    children: (Node | string)[] = [],
    key?: string,
  ): Node {
    const childNodes = children.map((c) =>
      typeof c === 'string' ? { type: 3, textContent: c, id: this.id++ } : c,
    );
    const node = { type: 2, tagName, attributes, childNodes, id: this.id++ };
    if (key) this.ids.set(key, node.id);
    return node;
  }

  /** Meta + full snapshot of a document whose body holds `body`. Restarts ids like a fresh page load. */
  load(
    at: number,
    body: (b: RrwebBuilder) => Node[],
    href = this.href,
    width = 1440,
    height = 900,
  ): this {
    this.id = 1;
    this.ids.clear();
    this.href = href;
    const doc = { type: 0, id: this.id++, childNodes: [] as unknown[] };
    const html = this.el('html', {}, [
      this.el('head', {}, [this.el('title', {}, ['Acme'])]),
      this.el('body', {}, body(this)),
    ]);
    doc.childNodes.push(html);
    this.events.push({ type: 4, data: { href, width, height }, timestamp: this.t0 + at });
    this.events.push({
      type: 2,
      data: { node: doc, initialOffset: { top: 0, left: 0 } },
      timestamp: this.t0 + at + 1,
    });
    return this;
  }

  /** A periodic rrweb checkout: Meta + full snapshot of the same page with its existing ids. */
  checkout(at: number, body: Node[]): this {
    const doc = {
      type: 0,
      id: 1,
      childNodes: [
        {
          type: 2,
          tagName: 'html',
          attributes: {},
          id: 9_000,
          childNodes: [{ type: 2, tagName: 'body', attributes: {}, id: 9_001, childNodes: body }],
        },
      ],
    };
    this.events.push({
      type: 4,
      data: { href: this.href, width: 1440, height: 900 },
      timestamp: this.t0 + at,
    });
    this.events.push({
      type: 2,
      data: { node: doc, initialOffset: { top: 0, left: 0 } },
      timestamp: this.t0 + at + 1,
    });
    return this;
  }

  click(at: number, key: string | number): this {
    const id = typeof key === 'number' ? key : this.idOf(key);
    for (const [offset, type] of [
      [0, 1],
      [40, 0],
      [41, 2],
    ] as const) {
      this.events.push({
        type: 3,
        data: { source: 2, type, id, x: 10, y: 10 },
        timestamp: this.t0 + at + offset,
      });
    }
    return this;
  }

  type(at: number, key: string, value: string, masked = false): this {
    const id = this.idOf(key);
    for (let i = 1; i <= value.length; i++) {
      const text = masked ? '*'.repeat(i) : value.slice(0, i);
      this.events.push({
        type: 3,
        data: { source: 5, text, isChecked: false, userTriggered: true, id },
        timestamp: this.t0 + at + i * 50,
      });
    }
    return this;
  }

  check(at: number, key: string, isChecked: boolean): this {
    this.events.push({
      type: 3,
      data: { source: 5, text: 'on', isChecked, userTriggered: true, id: this.idOf(key) },
      timestamp: this.t0 + at,
    });
    return this;
  }

  mutate(at: number, data: Record<string, unknown>): this {
    this.events.push({
      type: 3,
      data: { source: 0, texts: [], attributes: [], removes: [], adds: [], ...data },
      timestamp: this.t0 + at,
    });
    return this;
  }

  /** Adds a text node under `key` (something visibly changed). */
  render(at: number, key: string, text = 'Saved'): this {
    return this.mutate(at, {
      adds: [
        {
          parentId: this.idOf(key),
          nextId: null,
          node: { type: 3, textContent: text, id: this.id++ },
        },
      ],
    });
  }

  scroll(at: number, y: number, id = 1): this {
    this.events.push({ type: 3, data: { source: 3, id, x: 0, y }, timestamp: this.t0 + at });
    return this;
  }

  resize(at: number, width: number, height: number): this {
    this.events.push({ type: 3, data: { source: 4, width, height }, timestamp: this.t0 + at });
    return this;
  }

  consoleError(
    at: number,
    message: string,
    options: { level?: string; trace?: string[]; raw?: string[] } = {},
  ): this {
    this.events.push({
      type: 6,
      data: {
        plugin: 'rrweb/console@1',
        payload: {
          level: options.level ?? 'error',
          trace: options.trace ?? ['save (https://app.acme.example/static/app.js:120:15)'],
          payload: options.raw ?? [JSON.stringify(message)],
        },
      },
      timestamp: this.t0 + at,
    });
    return this;
  }

  request(
    at: number,
    method: string,
    url: string,
    status: number,
    durationMs = 180,
    error?: string,
  ): this {
    this.events.push({
      type: 5,
      data: {
        tag: 'repro/network',
        payload: { method, url, status, durationMs, ...(error ? { error } : {}) },
      },
      timestamp: this.t0 + at,
    });
    return this;
  }

  navigation(at: number, href: string, trigger = 'pushState'): this {
    this.events.push({
      type: 5,
      data: { tag: 'repro/navigation', payload: { href, trigger } },
      timestamp: this.t0 + at,
    });
    return this;
  }

  raw(event: Record<string, unknown>): this {
    this.events.push(event);
    return this;
  }
}
