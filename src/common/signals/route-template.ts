/**
 * URL paths with their ids templated, so two customers on `/projects/8812/settings` and
 * `/projects/17/settings` are on the same route: `/projects/:id/settings`. Pure.
 */

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const NUMBER = /^\d+$/;
/** Hashes and object ids: 8+ hex digits with at least one digit (Mongo ids, git shas, md5). */
const HEX = /^(?=.*\d)[0-9a-f]{8,}$/i;
/** Random tokens: 16+ letters and digits mixed (nanoid, base62, ULIDs). */
const TOKEN = /^(?=.*\d)(?=.*[a-z])[a-z0-9_-]{16,}$/i;
/** A slug that ends in, or starts with, an id: `my-post-123`, `123-my-post`, `inv_9f8e7d6c`. */
const SLUG_WITH_ID = /^(?:[a-z0-9]+[-_])+\d+$|^\d+(?:[-_][a-z0-9]+)+$|^[a-z]{2,8}_[a-z0-9]{6,}$/i;
/** Prefixed ids such as Stripe's `cus_NffrFeUfNV2Hib`, or `ord-42a7`. */
const PREFIXED_ID = /^[a-z]{2,6}[_-](?=[a-z0-9]*\d)[a-z0-9]{4,}$/i;
/** Email addresses in paths (`/users/ana@example.com`) are ids too, and personal ones. */
const EMAIL = /^[^@/]+@[^@/]+\.[a-z]{2,}$/i;

/** True when a path segment is an id rather than part of the route. */
export function isIdSegment(segment: string): boolean {
  let value = segment;
  try {
    value = decodeURIComponent(segment);
  } catch {
    // Malformed escapes are compared as they are.
  }
  return [NUMBER, UUID, HEX, TOKEN, SLUG_WITH_ID, PREFIXED_ID, EMAIL].some((p) => p.test(value));
}

/**
 * The path of a URL (absolute or relative) with ids as `:id`, no query or fragment, no trailing
 * slash, lower-cased. Hash routes (`/#/projects/42`) are templated as paths. Null when empty.
 */
export function templatePath(urlOrPath: string | null | undefined): string | null {
  if (!urlOrPath) return null;
  let path = urlOrPath.trim();
  try {
    const url = new URL(path, 'http://relative.invalid');
    path = url.pathname + (url.hash.startsWith('#/') ? url.hash.slice(1) : '');
  } catch {
    path = path.replace(/[?#].*$/, '');
  }
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => (isIdSegment(s) ? ':id' : s.toLowerCase()));
  return `/${segments.join('/')}`;
}

/** `METHOD /templated/path STATUS`, the key for "the same failing request". */
export function requestKey(method: string, url: string, status: number): string {
  return `${method.toUpperCase()} ${templatePath(url) ?? '/'} ${status}`;
}
