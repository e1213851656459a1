import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface Envelope {
  header: Record<string, unknown>;
  items: { header: Record<string, unknown>; payload: unknown }[];
  raw: string;
}

/**
 * A Sentry ingestion endpoint (`POST /api/<project>/envelope/`) that decodes the envelope
 * format the real SDK sends: newline-separated JSON header, then item header + payload pairs.
 */
export class FakeSentryIngest {
  readonly envelopes: Envelope[] = [];
  private server?: Server;
  private port = 0;

  get dsn(): string {
    return `http://publickey@127.0.0.1:${this.port}/42`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.read(req).then((body) => {
        if (req.method === 'POST' && /^\/api\/42\/envelope\/?/.test(req.url ?? '')) {
          this.envelopes.push(parseEnvelope(body));
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Error events (items of type "event"). */
  events(): Record<string, unknown>[] {
    return this.envelopes.flatMap((e) =>
      e.items
        .filter((i) => i.header.type === 'event')
        .map((i) => i.payload as Record<string, unknown>),
    );
  }

  private async read(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
  }
}

function parseEnvelope(raw: string): Envelope {
  const lines = raw.split('\n').filter((l) => l.length > 0);
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  const items: Envelope['items'] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    let payload: unknown = lines[i + 1];
    try {
      payload = JSON.parse(lines[i + 1]);
    } catch {
      // attachments are not JSON
    }
    items.push({ header: JSON.parse(lines[i]) as Record<string, unknown>, payload });
  }
  return { header, items, raw };
}
