import { authenticate, type AuthenticateResult, type DNSResolver } from 'mailauth';

/** What the SMTP listener knows of a delivery besides its bytes. */
export interface SmtpEnvelope {
  /** The connecting client's IP address. */
  ip: string;
  /** The EHLO/HELO name. */
  helo: string;
  /** MAIL FROM (empty for a bounce). */
  mailFrom: string;
}

/**
 * The sender check's verdict: `trusted` false means the From address is not proven (a staff
 * address there is treated as anyone's); `retry` means DNS failed for now (answer 451).
 */
export interface SenderVerdict {
  trusted: boolean;
  retry: boolean;
  /** spf=…, dkim=…, dmarc=…: for logs, no secrets. */
  summary: string;
}

/** The domain of an address, lower-cased (what follows its last @). */
export const domainOf = (address: string) =>
  address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Relaxed alignment: the same domain, or one a subdomain of the other. */
export function aligned(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/**
 * Whether mailauth's results vouch for the header From domain. DMARC pass, or a DKIM signature
 * that passes for the From domain, proves it; DMARC fail, or SPF fail/softfail without such a
 * signature, disproves it; an envelope sender of another domain without either cannot speak
 * for the From domain. Where the domains publish nothing, nothing can be checked: trusted.
 */
export function verdictOf(result: AuthenticateResult, envelope: SmtpEnvelope): SenderVerdict {
  const spf = result.spf ? result.spf.status.result : 'none';
  const dmarc = result.dmarc ? result.dmarc.status.result : 'none';
  const dkimPass = result.dkim.results.some((r) => r.status.result === 'pass' && r.status.aligned);
  const dkim = dkimPass
    ? 'pass'
    : result.dkim.results.some((r) => r.status.result === 'fail')
      ? 'fail'
      : 'none';
  const summary = `spf=${spf} dkim=${dkim} dmarc=${dmarc}`;
  const from = result.dkim.headerFrom[0] ? domainOf(result.dkim.headerFrom[0]) : '';
  const envelopeDomain = envelope.mailFrom ? domainOf(envelope.mailFrom) : '';
  const verdict = (trusted: boolean, retry = false) => ({ trusted, retry, summary });
  if (dmarc === 'pass' || dkimPass) return verdict(true);
  if (dmarc === 'fail') return verdict(false);
  if (spf === 'fail' || spf === 'softfail') return verdict(false);
  if (dmarc === 'temperror' || spf === 'temperror') return verdict(false, true);
  if (!from || !envelopeDomain || !aligned(from, envelopeDomain)) return verdict(false);
  return verdict(true);
}

/** SPF (the connecting IP and MAIL FROM), DKIM, DMARC and ARC through mailauth, with `resolver` for DNS. */
export async function checkSender(
  raw: Buffer,
  envelope: SmtpEnvelope,
  resolver: DNSResolver | undefined,
  mta: string,
): Promise<SenderVerdict> {
  const result = await authenticate(raw, {
    ip: envelope.ip,
    helo: envelope.helo,
    sender: envelope.mailFrom,
    mta,
    ...(resolver ? { resolver } : {}),
    disableBimi: true,
  });
  return verdictOf(result, envelope);
}
