/**
 * A page's origin as browsers send it (`https://app.example.com`, a port only when it is not
 * the scheme's default), from an origin or a bare URL; null for anything else (a path, another
 * scheme, `null`).
 */
export function normaliseOrigin(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  return url.origin;
}

/** `https://a,https://b` as normalised origins, and the entries that are not origins. */
export function parseOrigins(list: string): { origins: string[]; invalid: string[] } {
  const origins: string[] = [];
  const invalid: string[] = [];
  for (const entry of list.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const origin = normaliseOrigin(entry);
    if (!origin) invalid.push(entry);
    else if (!origins.includes(origin)) origins.push(origin);
  }
  return { origins, invalid };
}

/**
 * Whether a request's `Origin` header is one of `allowed` or Repro's own origin (its demo page).
 * Compared exactly: browsers send origins in their normal form.
 */
export function originAllowed(
  origin: string | undefined,
  allowed: readonly string[],
  publicUrl: string,
  /** Where the request was sent (scheme and Host): a page Repro served itself, such as /demo. */
  requestOrigin?: string,
): boolean {
  if (!origin || origin === 'null') return false;
  return (
    origin === new URL(publicUrl).origin ||
    (requestOrigin !== undefined && origin === requestOrigin) ||
    allowed.includes(origin)
  );
}
