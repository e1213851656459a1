import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedAddress } from './webhook-target';

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** What one POST came to: an HTTP status, or an error (never the URL's secret parts). */
export interface PostOutcome {
  status: number | null;
  error: string | null;
}

/** A `lookup` that answers only the vetted address: the connection goes where the check looked. */
function pinnedLookup(vetted: VettedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  }) as unknown as LookupFunction;
}

/**
 * POSTs a body to `url`, connecting to `vetted` only; follows no redirect (a 3xx is returned as
 * is) and gives up after `timeoutMs`. The response body is read and dropped.
 */
export function postPinned(
  url: string,
  vetted: VettedAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<PostOutcome> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinnedLookup(vetted),
        // A fresh connection per delivery: a pooled socket could be to another address.
        agent: false,
      },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? null, error: null }));
        res.on('error', (e) => done({ status: res.statusCode ?? null, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) =>
      done({ status: null, error: e.code ? `${e.code}: ${e.message}` : e.message }),
    );
    req.end(body);
  });
}
