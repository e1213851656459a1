import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

/** A mail the server turned away, and what it answered. */
export interface RefusedMail {
  to: string[];
  code: number;
}

/**
 * An SMTP server (the real protocol, through `smtp-server`) that keeps what it receives, parsed
 * with mailparser so tests can assert headers. It can answer the next mails with an error
 * (421: try later; 550: never) to show how the sender retries or gives up.
 */
export class FakeSmtpServer {
  readonly received: ReceivedMail[] = [];
  readonly refused: RefusedMail[] = [];
  private server?: SMTPServer;
  private port = 0;
  private failures: { code: number; message: string }[] = [];
  private waiters: (() => void)[] = [];

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `count` mails are answered `code` after their data (421 temporary, 550 permanent). */
  failNext(count: number, code: number, message = 'Try again later'): void {
    for (let i = 0; i < count; i++) this.failures.push({ code, message });
  }

  /** Received mails for one recipient. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.envelope.to.includes(address.toLowerCase()));
  }

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const failure = this.failures.shift();
          if (failure) {
            this.refused.push({ to, code: failure.code });
            const error = Object.assign(new Error(failure.message), {
              responseCode: failure.code,
            });
            callback(error);
            this.notify();
            return;
          }
          const raw = Buffer.concat(chunks);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          void simpleParser(raw).then((parsed) => {
            this.received.push({ envelope: { from, to }, raw, parsed });
            callback();
            this.notify();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  /** Resolves when the server has received or refused something new. */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(resolve) : resolve()));
  }

  private notify(): void {
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }
}
