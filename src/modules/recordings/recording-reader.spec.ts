import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fixturePath } from '../../../test/support/fixtures';
import { JsonArrayBatcher, RecordingReader, RecordingTooLargeError } from './recording-reader';

const FIXTURES = fixturePath('rrweb');
const window1 = readFileSync(join(FIXTURES, 'posthog-recording-window1.events.json'));
const window1Events = JSON.parse(window1.toString()) as unknown[];

/** Feeds `bytes` in chunks of `size`, as a socket or file stream would. */
async function read(bytes: Buffer, size = 7) {
  const reader = new RecordingReader();
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const events: unknown[] = [];
  for await (const event of reader.events(Readable.from(chunks))) events.push(event);
  return { events, problems: reader.problems, bytes: reader.bytes };
}

describe('recording reader', () => {
  it('reads a JSON array in any chunking, identical to JSON.parse', async () => {
    for (const size of [1, 7, 4096, 1 << 20]) {
      const { events, problems } = await read(window1, size);
      expect(events).toEqual(window1Events);
      expect(problems).toEqual({ malformed: 0, truncated: false });
    }
  });

  it("reads an event far larger than a batch (a big page's full snapshot) in work linear in its size", () => {
    // A full snapshot of 40,000 nodes: DOM nodes are `{"type":2,…}` too, so the seam between
    // events appears all through it, and one node's attribute even ends like an event does.
    const nodes = Array.from({ length: 40_000 }, (_, i) => ({
      type: 2,
      tagName: 'td',
      attributes: i === 777 ? { 'data-x': 'y', timestamp: 5 } : { class: `c${i % 7}` },
      childNodes: [{ type: 3, textContent: `cell ${i} ${'x'.repeat(200)}`, id: i * 2 + 1 }],
      id: i * 2,
    }));
    const events = [
      { type: 4, data: { href: 'https://app.example/', width: 1280, height: 800 }, timestamp: 1 },
      { type: 2, data: { node: { type: 0, childNodes: nodes, id: 1 } }, timestamp: 2 },
      ...Array.from({ length: 500 }, (_, i) => ({
        type: 3,
        data: { source: 0, adds: [], removes: [{ id: i, parentId: 1 }] },
        timestamp: 3 + i,
      })),
    ];
    const bytes = Buffer.from(JSON.stringify(events));
    expect(bytes.length).toBeGreaterThan(8 << 20);
    const batcher = new JsonArrayBatcher();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 65_536) batcher.push(bytes.subarray(i, i + 65_536), out);
    batcher.end(out);
    expect(out).toEqual(events);
    expect(batcher.problems).toEqual({ malformed: 0, truncated: false });
    // Copied and searched a few times over at most, not once per 64 KB that arrived.
    expect(batcher.work.bytes).toBeLessThan(6 * bytes.length);
  });

  it('holds a burst of mutations of many megabytes once while it arrives, and copies it once to parse it', () => {
    // 60,000 cards inserted at once: one mutation event of about 8 MB between small ones.
    const adds = Array.from({ length: 60_000 }, (_, i) => ({
      parentId: 22,
      nextId: i ? 100 + i - 1 : null,
      node: {
        type: 2,
        tagName: 'article',
        attributes: { class: 'card' },
        childNodes: [],
        id: 100 + i,
      },
    }));
    const burst = {
      type: 3,
      data: { source: 0, texts: [], attributes: [], removes: [{ parentId: 19, id: 20 }], adds },
      timestamp: 1_000,
    };
    const click = (t: number) => ({ type: 3, data: { source: 2, type: 2, id: 14 }, timestamp: t });
    const events = [...Array.from({ length: 50 }, (_, i) => click(i)), burst, click(2_000)];
    const bytes = Buffer.from(JSON.stringify(events));
    const burstBytes = JSON.stringify(burst).length;
    expect(burstBytes).toBeGreaterThan(6_000_000);
    const batcher = new JsonArrayBatcher();
    const out: unknown[] = [];
    // In the pieces zlib inflates them in.
    for (let i = 0; i < bytes.length; i += 256 * 1024)
      batcher.push(bytes.subarray(i, i + 256 * 1024), out);
    batcher.end(out);
    expect(out).toEqual(events);
    // The burst's bytes as they arrived plus the one copy JSON.parse reads (and a batch around
    // it), not a buffer copied again each time it doubled.
    expect(batcher.held.peak).toBeLessThan(2 * burstBytes + 2 * 256 * 1024);
    // Each byte searched once and copied once.
    expect(batcher.work.bytes).toBeLessThan(2.1 * bytes.length);
  });

  it('reads gzip and counts inflated bytes', async () => {
    const { events, bytes } = await read(gzipSync(window1), 100);
    expect(events).toEqual(window1Events);
    expect(bytes).toBe(window1.length);
  });

  it('reads JSON lines, including PostHog-style { data: [events] } lines', async () => {
    const jsonl = readFileSync(join(FIXTURES, 'posthog-recording_snapshots.jsonl'));
    const expected = jsonl
      .toString()
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => (JSON.parse(line) as { data: unknown[] }).data);
    expect((await read(jsonl, 333)).events).toEqual(expected);
    const plain = Buffer.from(window1Events.map((e) => JSON.stringify(e)).join('\n'));
    expect((await read(plain, 50)).events).toEqual(window1Events);
  });

  it('reads pretty-printed JSON and strings with escaped quotes and seams inside them', async () => {
    const tricky = [
      {
        type: 5,
        data: { tag: 'x', payload: { text: 'a "quoted" },{"type": seam \\" \\\\' } },
        timestamp: 1,
      },
      {
        type: 5,
        data: {
          tag: 'y',
          payload: [
            { type: 1, data: {} },
            { type: 2, data: {} },
          ],
        },
        timestamp: 2,
      },
      'packed-string-event',
    ];
    expect((await read(Buffer.from(JSON.stringify(tricky, null, 2)), 3)).events).toEqual(tricky);
    expect((await read(Buffer.from(JSON.stringify(tricky)), 5)).events).toEqual(tricky);
  });

  it('keeps what it could read from a cut-off array or gzip stream, and says it was truncated', async () => {
    const cut = window1.subarray(0, Math.floor(window1.length * 0.85));
    const array = await read(cut, 64);
    expect(array.problems.truncated).toBe(true);
    expect(array.events.length).toBeGreaterThan(3);
    expect(array.events).toEqual(window1Events.slice(0, array.events.length));

    const gz = gzipSync(window1);
    const gzCut = await read(gz.subarray(0, Math.floor(gz.length * 0.9)), 64);
    expect(gzCut.problems.truncated).toBe(true);
    expect(gzCut.events).toEqual(window1Events.slice(0, gzCut.events.length));
  });

  it('counts malformed elements and goes on', async () => {
    const bytes = Buffer.from(
      '[{"type":4,"data":{},"timestamp":1},{"type":,"oops"},{"type":3,"data":{},"timestamp":2}]',
    );
    const { events, problems } = await read(bytes, 4);
    expect(events).toEqual([
      { type: 4, data: {}, timestamp: 1 },
      { type: 3, data: {}, timestamp: 2 },
    ]);
    expect(problems.malformed).toBe(1);
  });

  it('reads a recording already in memory whole when small, and streams it otherwise', async () => {
    const whole = async (data: Buffer, reader = new RecordingReader()) => {
      const events: unknown[] = [];
      for await (const batch of reader.batchesOfBuffer(data)) events.push(...batch);
      return { events, reader };
    };
    const small = await whole(gzipSync(window1));
    expect(small.events).toEqual(window1Events);
    expect(small.reader.bytes).toBe(window1.length);
    expect((await whole(window1)).events).toEqual(window1Events);
    // Not an array as a whole (JSON lines, a cut-off file): the streaming reader takes over.
    const lines = Buffer.from(window1Events.map((e) => JSON.stringify(e)).join('\n'));
    expect((await whole(gzipSync(lines))).events).toEqual(window1Events);
    const cut = await whole(gzipSync(window1.subarray(0, Math.floor(window1.length * 0.85))));
    expect(cut.reader.problems.truncated).toBe(true);
    expect(cut.events).toEqual(window1Events.slice(0, cut.events.length));
    // Over the reader's limit: never inflated whole.
    await expect(whole(gzipSync(window1), new RecordingReader(1_000))).rejects.toThrow(
      RecordingTooLargeError,
    );
  });

  it('yields nothing for empty input', async () => {
    expect((await read(Buffer.alloc(0))).events).toEqual([]);
    expect((await read(Buffer.from('[]'))).events).toEqual([]);
  });
});
