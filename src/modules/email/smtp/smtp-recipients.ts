/** Who an RCPT TO address is for: a project's mail (by slug) or a reply to Repro's questions. */
export type SmtpRecipient =
  { kind: 'project'; slug: string } | { kind: 'reply'; tag: string | null };

export interface RecipientRules {
  /** EMAIL_SMTP_DOMAIN: `<slug>@domain` and `reports+<slug>@domain` name a project. */
  domain: string;
  /** MAIL_FROM: its local part, plus-addressed or not, receives replies to Repro's questions. */
  mailFrom?: string;
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function split(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() };
}

/**
 * Reads an envelope recipient: `<slug>@EMAIL_SMTP_DOMAIN` or `reports+<slug>@EMAIL_SMTP_DOMAIN`
 * is a project's inbound address; MAIL_FROM's local part (plus a tag, or not) at its own domain
 * is a reply; anything else is nobody here (null, refused at RCPT).
 */
export function readRecipient(address: string, rules: RecipientRules): SmtpRecipient | null {
  const rcpt = split(address.trim());
  if (!rcpt) return null;
  const own = rules.mailFrom ? split(rules.mailFrom.replace(/^.*<([^>]+)>.*$/, '$1').trim()) : null;
  if (own && rcpt.domain === own.domain) {
    const plus = rcpt.local.indexOf('+');
    const base = plus === -1 ? rcpt.local : rcpt.local.slice(0, plus);
    if (base === own.local)
      return { kind: 'reply', tag: plus === -1 ? null : rcpt.local.slice(plus + 1) };
  }
  if (rcpt.domain !== rules.domain.toLowerCase()) return null;
  const slug = rcpt.local.startsWith('reports+') ? rcpt.local.slice('reports+'.length) : rcpt.local;
  return SLUG.test(slug) ? { kind: 'project', slug } : null;
}
