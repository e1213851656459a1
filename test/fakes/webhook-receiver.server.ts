import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as the receiver saw it, with whether its Standard Webhooks signature verified. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
  /** The parsed body when it verified. */
  payload: unknown;
  answered: number;
}

/**
 * A customer's webhook receiver on 127.0.0.1: verifies each request with the standardwebhooks
 * library (the same check a real receiver makes) and answers the statuses queued by `answer()`,
 * then 200. `redirectTo` makes it answer 302 with that Location.
 */
export class FakeWebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly queued: number[] = [];
  private server?: Server;
  secret = '';
  redirectTo?: string;

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/hooks/repro`;
  }

  /** The next requests get these statuses, in order. */
  answer(...statuses: number[]): void {
    this.queued.push(...statuses);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified = false;
        let payload: unknown;
        try {
          payload = new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {
          // Not verified: kept as received, so a test sees what was wrong.
        }
        const status = this.redirectTo ? 302 : (this.queued.shift() ?? 200);
        this.received.push({ headers: req.headers, body, verified, payload, answered: status });
        res.writeHead(status, this.redirectTo ? { location: this.redirectTo } : {});
        res.end(status < 300 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
