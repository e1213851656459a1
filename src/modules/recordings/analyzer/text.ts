import type { ElementRef } from './types';

/** URL without query string or fragment (they carry tokens and personal data). */
export function stripQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut >= 0 ? url.slice(0, cut) : url;
}

/** Resolves `href` against `base`; null for javascript:, mailto: and the like. */
export function resolveUrl(href: string, base: string | null): string | null {
  try {
    const url = base ? new URL(href, base) : new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** A URL as a person writes it in steps: the path when on the same site, else the whole URL. */
export function shortUrl(url: string, relativeTo: string | null): string {
  try {
    const target = new URL(url);
    const base = relativeTo ? new URL(relativeTo) : null;
    const path = `${target.pathname}${target.hash.startsWith('#/') ? target.hash : ''}`;
    return base && base.origin === target.origin ? path : `${target.origin}${path}`;
  } catch {
    return stripQuery(url);
  }
}

/** `button "Save changes"`, `link "Billing"`, `"Card number"`, or the selector when unnamed. */
export function describeTarget(ref: ElementRef): string {
  const kind = ref.role === 'element' || ref.role === 'textbox' ? '' : `${ref.role} `;
  if (ref.name) return `${kind}"${ref.name}"`;
  return `${kind || `${ref.tag} `}(${ref.selector})`;
}

const SENSITIVE_NAME =
  /(card|cc-?(num|number|exp|csc)|cvc|cvv|csc|expir|iban|account.?(no|num)|routing|ssn|social.?sec|passw|passwd|secret|token|api.?key|\bpin\b|otp|one.?time|e-?mail|phone|tel\b|birth|dob)/i;

/** True when a typed value must never be shown: passwords, emails, cards, secrets. */
export function isSensitiveField(
  attrs: Record<string, string> | null,
  label: string | null,
): boolean {
  const type = (attrs?.type ?? '').toLowerCase();
  if (['password', 'email', 'tel', 'hidden'].includes(type)) return true;
  const autocomplete = (attrs?.autocomplete ?? '').toLowerCase();
  if (/cc-|password|email|tel|one-time-code|bday/.test(autocomplete)) return true;
  const names = [attrs?.name, attrs?.id, attrs?.placeholder, attrs?.['aria-label'], label]
    .filter(Boolean)
    .join(' ');
  return SENSITIVE_NAME.test(names);
}

/** True for values that look personal whatever the field: emails, card-like or long digit runs. */
export function looksSensitive(value: string): boolean {
  if (/@/.test(value)) return true;
  const digits = value.replace(/[\s-]/g, '');
  return /\d{6,}/.test(digits);
}

/** A rrweb-masked value is all asterisks (maskAllInputs, maskInputOptions). */
export function isMaskedValue(value: string): boolean {
  return value.length > 0 && /^\*+$/.test(value);
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
