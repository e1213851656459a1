import type { MailAddress } from '../email.types';

/** `questions@acme.example` → its local part and domain (lower-cased domain). */
function split(mailFrom: string): { local: string; domain: string } {
  const bare = (mailFrom.match(/<([^>]+)>/)?.[1] ?? mailFrom).trim();
  const at = bare.lastIndexOf('@');
  return { local: bare.slice(0, at), domain: bare.slice(at + 1).toLowerCase() };
}

/**
 * The domain of the Message-IDs Repro writes: a label under MAIL_FROM's domain, so that staff
 * mail servers on that same domain (whose Message-IDs end in it) are never taken for Repro.
 */
export function messageIdDomain(mailFrom: string): string {
  return `repro.${split(mailFrom).domain}`;
}

/** The Message-ID (without brackets) of the mail that asks one question message: fixed. */
export function questionMessageId(questionId: string, mailFrom: string): string {
  return `q.${questionId}@${messageIdDomain(mailFrom)}`;
}

/** Lower-case hex: survives mail servers that lower-case local parts. */
const TOKEN = /^[0-9a-f]{32}$/;

/** `questions+r_<token>@acme.example`: the reply address bound to one report. */
export function replyAddress(mailFrom: string, token: string): string {
  const { local, domain } = split(mailFrom);
  return `${local}+r_${token}@${domain}`;
}

/** The reply token in the addresses a mail was sent to, if one is Repro's reply address. */
export function replyTokenOf(addresses: MailAddress[], mailFrom: string): string | null {
  const { local, domain } = split(mailFrom);
  const prefix = `${local.toLowerCase()}+r_`;
  for (const { address } of addresses) {
    const at = address.lastIndexOf('@');
    if (address.slice(at + 1).toLowerCase() !== domain) continue;
    const part = address.slice(0, at).toLowerCase();
    if (!part.startsWith(prefix)) continue;
    const token = part.slice(prefix.length);
    if (TOKEN.test(token)) return token;
  }
  return null;
}

/** `Re: <subject>`, without piling up Re:/Fwd: prefixes. */
export function replySubject(subject: string | null | undefined, fallback: string): string {
  const bare = (subject ?? '')
    .replace(/^(\s*(re|fwd?|aw|wg|tr|sv|vs)\s*(\[\d+\])?\s*:\s*)+/i, '')
    .trim();
  return `Re: ${(bare || fallback).slice(0, 200)}`;
}
