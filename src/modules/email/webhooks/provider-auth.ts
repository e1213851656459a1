import addressparser from 'nodemailer/lib/addressparser';
import { aligned, domainOf } from '../smtp/sender-auth';
import type { FormPost } from './provider-payloads';
import { headerLines } from './provider-mail';

/** One check a provider reports, lower-cased (pass, fail, softfail, neutral, none, temperror…). */
type Result = string;

/**
 * A DKIM result: `domains` are the d= domains it may be for (one, when the provider names the
 * signature; every signature of the mail, when it does not say which passed); `ofFrom` when the
 * provider says it is a signature of the From domain.
 */
export interface DkimResult {
  result: Result;
  domains: string[];
  ofFrom?: boolean;
}

/**
 * What a provider says it checked about a mail: SPF (for the envelope sender's domain, when the
 * provider names it), DKIM and DMARC.
 */
export interface ProviderAuthReport {
  spf?: { result: Result; domain?: string };
  dkim: DkimResult[];
  dmarc?: Result;
}

const FAILED_SPF = new Set(['fail', 'softfail']);

/**
 * Whether a provider's checks vouch for the mail's From domain, read as the SMTP listener reads
 * mailauth's (see verdictOf): false when they disprove it (DMARC fail; SPF fail or softfail
 * without a passing DKIM signature of the From domain; a failing DKIM signature and no SPF pass
 * for the From domain; an SPF pass for another domain and nothing else), true when a check
 * aligned with the From domain passed, undefined when the provider said nothing that settles it.
 */
export function fromDomainVerdict(
  fromDomain: string | null,
  report: ProviderAuthReport,
): boolean | undefined {
  const { spf, dkim, dmarc } = report;
  if (!spf && dkim.length === 0 && !dmarc) return undefined;
  // Two From domains, or none: no check can speak for the sender the mail shows.
  if (!fromDomain) return false;
  const ours = (domain?: string) => !!domain && aligned(domain.toLowerCase(), fromDomain);
  const signedByFrom = (d: DkimResult) =>
    d.ofFrom === true || (d.domains.length > 0 && d.domains.every((domain) => ours(domain)));
  const spfAligned = spf?.result === 'pass' && ours(spf.domain);
  if (dmarc === 'fail') return false;
  if (dkim.some((d) => d.result === 'pass' && signedByFrom(d))) return true;
  if (dmarc === 'pass') return true;
  if (spf && FAILED_SPF.has(spf.result)) return false;
  if (dkim.some((d) => d.result === 'fail') && !spfAligned) return false;
  if (spfAligned) return true;
  // SPF passed for an envelope sender of another domain: that domain cannot speak for From.
  if (spf?.result === 'pass' && spf.domain) return false;
  return undefined;
}

/** The domain of the From header(s) of a raw mail; null when there is none, or more than one. */
export function fromDomainOfMime(raw: Buffer): string | null {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const headers = headerLines(end >= 0 ? text.slice(0, end) : text);
  const domains = new Set(
    headers
      .filter(([name]) => name.toLowerCase() === 'from')
      .flatMap(([, value]) => addressparser(value, { flatten: true }))
      .map((a) => a.address)
      .filter((address) => address.includes('@'))
      .map(domainOf),
  );
  return domains.size === 1 ? [...domains][0] : null;
}

const firstWord = (value: string | undefined): Result | undefined =>
  value
    ?.trim()
    .split(/[\s;(]/, 1)[0]
    ?.toLowerCase() || undefined;

function formText(form: FormPost, name: string): string | undefined {
  const bytes = form.fields.get(name);
  return bytes ? bytes.toString('utf8') : undefined;
}

function envelopeSenderDomain(address: string | undefined): string | undefined {
  const sender = address?.trim().replace(/^<|>$/g, '');
  return sender?.includes('@') ? domainOf(sender) : undefined;
}

/**
 * SendGrid Inbound Parse: `SPF` (pass, softfail, fail, neutral, none…) for the envelope sender
 * in `envelope`, and `dkim` as `{@example.com : pass, @other.test : fail}`, one entry a
 * signature. SendGrid writes these fields itself, so they are read as they are.
 */
export function sendgridAuthReport(form: FormPost): ProviderAuthReport {
  let envelopeFrom: string | undefined;
  try {
    const envelope = JSON.parse(formText(form, 'envelope') ?? '{}') as { from?: unknown };
    if (typeof envelope.from === 'string') envelopeFrom = envelope.from;
  } catch {
    // A broken envelope only costs the SPF domain, never the mail.
  }
  const spf = firstWord(formText(form, 'SPF'));
  const dkim = [...(formText(form, 'dkim') ?? '').matchAll(/@?([^\s{},:@]+)\s*:\s*([a-z]+)/gi)].map(
    ([, domain, result]) => ({ domains: [domain.toLowerCase()], result: result.toLowerCase() }),
  );
  return {
    spf: spf ? { result: spf, domain: envelopeSenderDomain(envelopeFrom) } : undefined,
    dkim,
  };
}

function headerValues(headers: [string, string][], name: string): string[] {
  return headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
}

/** The d= domains of a mail's DKIM-Signature headers. */
function signingDomains(headers: [string, string][]): string[] {
  return headerValues(headers, 'dkim-signature').flatMap((value) => {
    const d = /(?:^|;)\s*d\s*=\s*([^;\s]+)/i.exec(value)?.[1];
    return d ? [d.toLowerCase()] : [];
  });
}

/**
 * Results in Authentication-Results headers. Anyone can write such a header into the mail they
 * send, so only failures are read from them (a forged failure harms only its sender).
 */
function failuresIn(headers: [string, string][]): ProviderAuthReport {
  const report: ProviderAuthReport = { dkim: [] };
  for (const value of headerValues(headers, 'authentication-results')) {
    for (const [, method, result] of value.matchAll(/\b(spf|dkim|dmarc)\s*=\s*([a-z]+)/gi)) {
      const verdict = result.toLowerCase();
      if (verdict !== 'fail' && verdict !== 'softfail') continue;
      const kind = method.toLowerCase();
      if (kind === 'dmarc') report.dmarc = 'fail';
      else if (kind === 'dkim') report.dkim.push({ result: 'fail', domains: [] });
      else report.spf = { result: verdict };
    }
  }
  return report;
}

function withFailures(
  report: ProviderAuthReport,
  failures: ProviderAuthReport,
): ProviderAuthReport {
  return {
    spf: failures.spf && !FAILED_SPF.has(report.spf?.result ?? '') ? failures.spf : report.spf,
    dkim: [...report.dkim, ...failures.dkim],
    dmarc: failures.dmarc ?? report.dmarc,
  };
}

/**
 * Mailgun: `X-Mailgun-Spf` and `X-Mailgun-Dkim-Check-Result` (Pass, Fail, SoftFail, Neutral,
 * None), in message-headers for a parsed route and in the mail itself for …/mime; SPF is for the
 * `sender` field (the envelope). Mailgun adds its headers on top, so only the first of each counts
 * for a pass (one lower down was written by the sender); any that says fail counts. Mailgun does
 * not say which signature passed: a pass speaks for From only when every signature is From's.
 */
export function mailgunAuthReport(form: FormPost, raw: Buffer): ProviderAuthReport {
  const listed = formText(form, 'message-headers');
  let headers: [string, string][] = [];
  if (listed) {
    try {
      const pairs = JSON.parse(listed) as unknown;
      if (Array.isArray(pairs)) {
        headers = pairs.flatMap((pair): [string, string][] =>
          Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string'
            ? [[pair[0], pair[1]]]
            : [],
        );
      }
    } catch {
      // Refused as INVALID_EMAIL where the mail is rebuilt; nothing to read here.
    }
  }
  if (headers.length === 0) {
    const text = raw.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    headers = headerLines(end >= 0 ? text.slice(0, end) : text);
  }
  const read = (name: string) => {
    const values = headerValues(headers, name).map((v) => firstWord(v) ?? 'none');
    const failed = values.find((v) => FAILED_SPF.has(v));
    return failed ?? values[0];
  };
  const spf = read('x-mailgun-spf');
  const dkimResult = read('x-mailgun-dkim-check-result');
  const signers = signingDomains(headers);
  const dkim: DkimResult[] = dkimResult ? [{ result: dkimResult, domains: signers }] : [];
  return withFailures(
    {
      spf: spf
        ? { result: spf, domain: envelopeSenderDomain(formText(form, 'sender')) }
        : undefined,
      dkim,
    },
    failuresIn(headers),
  );
}

/**
 * Postmark's inbound JSON: its own `Received-SPF` header on top of `Headers` (`Pass (…)
 * identity=mailfrom; …; envelope-from=…`), SpamAssassin's `X-Spam-Tests` (DKIM_VALID_AU is a
 * valid signature of the From domain, DKIM_INVALID a broken one) and, for failures only,
 * Authentication-Results. With RawEmail, the same headers are read from the raw mail.
 */
export function postmarkAuthReport(body: unknown, raw: Buffer): ProviderAuthReport {
  const json = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  let headers: [string, string][] = Array.isArray(json.Headers)
    ? (json.Headers as unknown[]).flatMap((h): [string, string][] => {
        const { Name, Value } = (h ?? {}) as Record<string, unknown>;
        return typeof Name === 'string' && typeof Value === 'string' ? [[Name, Value]] : [];
      })
    : [];
  if (headers.length === 0) {
    const text = raw.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    headers = headerLines(end >= 0 ? text.slice(0, end) : text);
  }
  const receivedSpf = headerValues(headers, 'received-spf');
  const spfResult = firstWord(receivedSpf[0]);
  const laterFailure = receivedSpf.map(firstWord).find((r) => FAILED_SPF.has(r ?? ''));
  const envelopeFrom = /envelope-from=<?([^\s;>]+)/i.exec(receivedSpf[0] ?? '')?.[1];
  const tests = (headerValues(headers, 'x-spam-tests')[0] ?? '')
    .split(/[\s,]+/)
    .map((t) => t.toUpperCase());
  const dkim: DkimResult[] = [];
  if (tests.includes('DKIM_INVALID')) dkim.push({ result: 'fail', domains: [] });
  // DKIM_VALID_AU: a valid signature of the author's (From) domain.
  if (tests.includes('DKIM_VALID_AU')) dkim.push({ result: 'pass', domains: [], ofFrom: true });
  const spf = laterFailure ?? spfResult;
  return withFailures(
    {
      spf: spf ? { result: spf, domain: envelopeSenderDomain(envelopeFrom) } : undefined,
      dkim,
    },
    failuresIn(headers),
  );
}

/** The verdict to pass to EmailService.receive for a provider's post and the mail rebuilt from it. */
export function providerSenderVerdict(
  report: ProviderAuthReport,
  raw: Buffer,
): boolean | undefined {
  return fromDomainVerdict(fromDomainOfMime(raw), report);
}
