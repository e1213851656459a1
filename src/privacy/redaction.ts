// Redaction of personal data and credentials before text reaches an LLM or a ticket.
// Pure: no Nest, no I/O. What is kept on purpose (because engineers need it to fix the bug):
// - UUIDs, commit SHAs and any other bare hex string (request, trace and Sentry event ids).
//   A hex value is still redacted when it sits in a credential context (`token=`, `Bearer`,
//   URL userinfo, ?sig=...), which is where hex secrets actually turn up in reports.
// - Version numbers, dates, times, HTTP statuses, numeric ids (also inside URL paths), and
//   four-part versions that look like IPv4 addresses (3.7.11.0) unless the text around them
//   says network (rules in the IP section).
// - Loopback and unspecified addresses (127.x.x.x, 0.x.x.x, ::1): they identify nobody.
// - Numbers that fail Luhn or cannot start a card (first digit outside 2-6: millisecond
//   timestamps and snowflake ids are 13-19 digits too), and `git@host` SSH remotes.

export const REDACTION_KINDS = ['email', 'phone', 'card', 'secret', 'password', 'ip'] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];
export type RedactionCounts = Partial<Record<RedactionKind, number>>;

export interface RedactOptions {
  /** Email addresses kept as they are (the reporter's own, when policy allows). Case-insensitive. */
  keepEmails?: string[];
}

export interface Redacted<T> {
  value: T;
  counts: RedactionCounts;
}

interface PassContext {
  keepEmails: ReadonlySet<string>;
  /** The whole text is the value of a network key (`ip`, `host`...): its dotted numbers are addresses. */
  networkValue: boolean;
  /** Records one redaction of `kind` and returns its replacement token. */
  hit(kind: RedactionKind): string;
}

type Pass = (text: string, ctx: PassContext) => string;

// ---- credentials named by their key --------------------------------------------------------

// Key names whose value is a credential. The whole key may carry a prefix (`DB_PASSWORD`,
// `x-api-key`, `client_secret`, `newPassword`) but must end in one of these.
const CREDENTIAL_NAME =
  'pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|secret[_-]?key';
const CREDENTIAL_KEY_RE = new RegExp(`^(?:${CREDENTIAL_NAME})$`, 'i');

const NAMED_CREDENTIAL_RE = new RegExp(
  // key, optionally quoted
  `(?<![A-Za-z0-9_.-])(["']?)((?:[A-Za-z0-9]+[_.-])*[A-Za-z0-9]*?)(${CREDENTIAL_NAME})(?![A-Za-z0-9_-])\\1` +
    // separator, on the same line
    `([ \\t]*(?:=>|[:=])[ \\t]*)` +
    // an auth scheme in front of the value is kept
    `((?:Bearer|Basic|Token)[ \\t]+)?` +
    // value: double-quoted, single-quoted or bare
    `(?:"((?:[^"\\\\\\n]|\\\\.)*)"|'((?:[^'\\\\\\n]|\\\\.)*)'|([^\\s&#,;'"<>]+))`,
  'gi',
);

const XML_CREDENTIAL_RE = new RegExp(
  `<((?:[A-Za-z0-9]+[_.-])*(?:${CREDENTIAL_NAME}))>([^<\\n]+)</\\1>`,
  'gi',
);

// Values that are not secrets: placeholders, nulls, env references, already masked.
const NOT_A_SECRET_VALUE_RE =
  /^(?:null|undefined|none|nil|true|false|\*+|x+|\.+|\[[a-z]+\]|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_]+%)$/i;

/** A key ends in a credential name at a word boundary: `db_password`, `newPassword`, not `bypass`. */
function isCredentialKey(prefix: string, name: string): boolean {
  if (prefix === '' || /[_.-]$/.test(prefix)) return true;
  return /[a-z0-9]$/.test(prefix) && /^[A-Z]/.test(name); // camelCase
}

const namedCredentials: Pass = (text, ctx) =>
  text
    .replace(
      NAMED_CREDENTIAL_RE,
      (
        match,
        quote: string,
        prefix: string,
        name: string,
        sep: string,
        scheme: string | undefined,
        dq: string | undefined,
        sq: string | undefined,
        bare: string | undefined,
      ) => {
        if (!isCredentialKey(prefix, name)) return match;
        const key = `${quote}${prefix}${name}${quote}${sep}${scheme ?? ''}`;
        if (dq !== undefined || sq !== undefined) {
          const value = dq ?? sq ?? '';
          if (value === '' || NOT_A_SECRET_VALUE_RE.test(value)) return match;
          const q = dq !== undefined ? '"' : "'";
          return `${key}${q}${ctx.hit('password')}${q}`;
        }
        // A bare value loses trailing punctuation that belongs to the sentence or structure.
        const value = (bare ?? '').replace(/[.,)}\]]+$/, '');
        if (value === '' || NOT_A_SECRET_VALUE_RE.test(value)) return match;
        return `${key}${ctx.hit('password')}${(bare ?? '').slice(value.length)}`;
      },
    )
    .replace(XML_CREDENTIAL_RE, (match, tag: string, value: string) =>
      NOT_A_SECRET_VALUE_RE.test(value.trim()) ? match : `<${tag}>${ctx.hit('password')}</${tag}>`,
    );

// ---- credentials inside URLs ---------------------------------------------------------------

// scheme://user:pass@host, scheme://:pass@host, scheme://<key>@host (Sentry DSN style).
const URL_USERINFO_RE =
  /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s/?#@:[\]]*)(?::([^\s/?#@]*))?@(?=[\w[])/gi;

const urlUserinfo: Pass = (text, ctx) =>
  text.replace(URL_USERINFO_RE, (match, scheme: string, user: string, pass?: string) => {
    if (pass !== undefined && pass !== '') return `${scheme}${ctx.hit('secret')}@`;
    // A user name alone is only a credential when it looks like a key.
    if (looksLikeToken(user) && user.length >= 16) return `${scheme}${ctx.hit('secret')}@`;
    return match;
  });

// Query parameters that are credentials only inside a URL: in prose, "key" and "code" are words.
// (token, access_token, api_key... are caught with the named credentials above.)
const URL_SECRET_PARAM_RE =
  /([?&;](?:amp;)?)(key|sig|signature|code|auth|jwt|session|sessionid|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)=([^&#\s"'<>]+)/gi;

const urlSecretParams: Pass = (text, ctx) =>
  text.replace(URL_SECRET_PARAM_RE, (match, lead: string, name: string, value: string) =>
    looksLikeToken(value) ? `${lead}${name}=${ctx.hit('secret')}` : match,
  );

/** Long enough and not a plain word or a small number (`?code=404`, `?key=name`). */
function looksLikeToken(value: string): boolean {
  if (value.length < 8) return false;
  if (/^\[[a-z]+\]$/.test(value)) return false;
  if (/^[A-Za-z]+$/.test(value) && value.length < 20) return false;
  if (/^\d+$/.test(value) && value.length < 13) return false;
  return true;
}

// ---- tokens recognisable by their shape ----------------------------------------------------

const AUTH_SCHEME_RE = /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9._~+/-]+=*)/g;

const authSchemes: Pass = (text, ctx) =>
  text.replace(AUTH_SCHEME_RE, (match, scheme: string, space: string, token: string) =>
    looksLikeToken(token) && !/^[A-Z]?[a-z]+$/.test(token)
      ? `${scheme}${space}${ctx.hit('secret')}`
      : match,
  );

const JWT_RE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

// Vendor key formats with a fixed prefix. Each needs enough random characters after the
// prefix that a word like "sk-learn" or "SG.config" is not mistaken for one.
const KNOWN_KEY_RES: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{20,}/g, // OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...)
  /\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g, // Stripe
  /\bwhsec_[A-Za-z0-9]{20,}/g, // Stripe webhook secret
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abpors]-[A-Za-z0-9-]{10,}/g, // Slack
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{35}/g, // Google
  /\blin_(?:api|oauth)_[A-Za-z0-9]{20,}/g, // Linear
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, // SendGrid
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /(?<=hooks\.slack\.com\/services\/)T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/g, // webhook
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

const jwts: Pass = (text, ctx) => text.replace(JWT_RE, () => ctx.hit('secret'));

const knownKeys: Pass = (text, ctx) =>
  KNOWN_KEY_RES.reduce((acc, re) => acc.replace(re, () => ctx.hit('secret')), text);

// Runs of base64/base64url characters; judged as a whole when they look like base64 (+ or =),
// otherwise one path segment at a time so a URL path is never swallowed.
const CANDIDATE_RUN_RE = /(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/-]{32,}={0,2}(?![A-Za-z0-9_+/=-])/g;

const highEntropy: Pass = (text, ctx) =>
  text.replace(CANDIDATE_RUN_RE, (run) => {
    if (/[+=]/.test(run) && !run.startsWith('/') && isHighEntropy(run)) return ctx.hit('secret');
    return run
      .split('/')
      .map((segment) => (isHighEntropy(segment) ? ctx.hit('secret') : segment))
      .join('/');
  });

/**
 * A long random-looking string: ≥ 32 characters mixing letters and digits, not hex (SHAs,
 * UUIDs, trace ids are kept) and switching between lower case, upper case and digits far
 * more often than words and identifiers like `order_2024_confirmation_v2` do.
 */
function isHighEntropy(value: string): boolean {
  const s = value.replace(/=+$/, '');
  if (s.length < 32 || !/\d/.test(s) || !/[A-Za-z]/.test(s)) return false;
  const compact = s.replace(/[-_+/]/g, '');
  if (/^[0-9a-f]+$/i.test(compact)) return false;
  const kind = (c: string) => (/\d/.test(c) ? 0 : /[a-z]/.test(c) ? 1 : 2);
  let switches = 0;
  for (let i = 1; i < compact.length; i++) {
    if (kind(compact[i]) !== kind(compact[i - 1])) switches++;
  }
  return switches / compact.length >= 0.25 && shannonEntropy(compact) >= 3.5;
}

function shannonEntropy(s: string): number {
  const freq = new Map<string, number>();
  for (const c of s) freq.set(c, (freq.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of freq.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

// ---- emails --------------------------------------------------------------------------------

// `%40` is an @ inside a URL (?email=ana%40example.com).
const EMAIL_RE =
  /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)(@|%40)((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![A-Za-z0-9-])/g;

const emails: Pass = (text, ctx) =>
  text.replace(EMAIL_RE, (match, local: string, _at: string, domain: string) => {
    if (local.toLowerCase() === 'git') return match; // git@github.com:org/repo.git
    if (/^\d+x\./i.test(domain)) return match; // logo@2x.png
    if (ctx.keepEmails.has(`${local}@${domain}`.toLowerCase())) return match;
    return ctx.hit('email');
  });

// ---- payment cards -------------------------------------------------------------------------

// 13-19 digits, optionally grouped by single spaces or dashes. A longer digit run is not a card.
const CARD_RE = /(?<![\w+./,-])[2-6]\d(?:[ -]?\d){11,17}(?![\w]|[.,]\d|[ -]\d)/g;

const cards: Pass = (text, ctx) =>
  text.replace(CARD_RE, (match) => {
    const separators = new Set(match.replace(/\d/g, ''));
    if (separators.size > 1) return match;
    const digits = match.replace(/\D/g, '');
    if (digits.length < 13 || digits.length > 19 || !passesLuhn(digits)) return match;
    return ctx.hit('card');
  });

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

// ---- IP addresses --------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
// Not glued to a version (v1.2.3.4, 1.2.3.4.5, release-4.2.0.1, 2.1.0.3-beta), a product token
// (Chrome/120.0.0.0) or a path segment (node_modules/foo/1.2.3.4/).
const IPV4_RE = new RegExp(`(?<![\\w.-])(?<!\\w/)${IPV4}(?![\\w-]|\\.\\d)`, 'g');
// Candidates only; isIpv6 decides. Times (14:02:11) and MACs have no `::` and too few groups.
const IPV6_CANDIDATE_RE = new RegExp(
  `(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:${IPV4}|[0-9A-Fa-f]{1,4})?(?![\\w:])`,
  'g',
);

// A four-part dotted number is an IPv4 address or a version ("Signal 3.7.11.0", "1.0.0.0",
// "Version 5.2.1.12 (Build 4411)"); both are common in reports and only the words around it
// tell them apart. Hiding versions is not free: the ticket and the agent lose what the reporter
// said (the agent then asks for it again). So each one is judged, first rule that applies:
// 1. 0.x.x.x and 127.x.x.x are kept: not a host on any network, they identify nobody.
// 2. Network context hides it, whatever else is around (privacy first): a URL host, `user@`,
//    a `\\host` share, a `:port` or `/prefix` (CIDR) after it, a network word up to four words
//    before it (ip, address, host, server, connect, ping, dns, gateway, proxy, subnet...), a
//    network noun just after it ("52.14.7.201 is my IP"), or a redactDeep key such as `ip`.
// 3. A version word up to four words before it (version, v, build, release, updated, since...)
//    or just after it ("(Build 4411)", beta, x64) keeps it.
// 4. A private, shared or link-local range (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16)
//    hides it: nobody numbers versions like that, but home devices are named before their
//    address ("NAS 192.168.1.20"), so a product name alone does not keep these.
// 5. A product name right before it keeps it ("Signal 3.7.11.0", "V8 9.2.230.29").
// 6. "from", "to", "via" hide it. They rank below version words and product names because
//    "updated from 3.7.11.0 to 3.8.0.1" is how reporters describe an upgrade.
// 7. An octet of 100 or more hides it: public addresses usually have one, versions rarely.
// 8. Otherwise (small numbers, nothing around them) it is kept as a version.
// Numbers in a list ("10.0.0.1, 10.0.0.2 or 10.0.0.3", "from 3.7.11.0 to 3.8.0.1") share the
// context of the first one; otherwise a number's words stop at the previous number, at a line
// break or at the end of a sentence, so "App 3.7.11.0 can't reach 192.168.0.4" keeps the version.

const NETWORK_WORDS = new Set(
  (
    'ip ips ipv4 ipaddr ipaddress addr address addresses host hosts hostname hostnames server ' +
    'servers connect connects connected connecting connection connections ping pings pinged ' +
    'pinging dns nameserver nameservers gateway gateways proxy proxies proxied subnet subnets ' +
    'netmask cidr router routers firewall vpn lan wan dhcp nat peer peers reach reaches reached ' +
    'reaching reachable unreachable resolve resolves resolved resolving resolver lookup ' +
    'nslookup traceroute tracert dig curl wget ssh telnet ftp sftp rdp tcp udp icmp socket ' +
    'listen listens listening bind binds binding bound endpoint upstream forwarded whitelist ' +
    'whitelisted allowlist allowlisted blocklist blocklisted blacklist blacklisted network ' +
    'wifi ethernet inet route routed routing port ports url uri http https ws wss'
  ).split(' '),
);
// Nouns that label the number they follow ("52.14.7.201 is my IP"); not verbs, so that
// "App 3.7.11.0 can't connect" keeps the version.
const NETWORK_NOUNS_AFTER = new Set(
  (
    'ip ips ipv4 address addresses addr host hostname gateway proxy dns nameserver router ' +
    'subnet netmask'
  ).split(' '),
);
const WEAK_NETWORK_WORDS = new Set(['from', 'to', 'via']);
const VERSION_WORDS = new Set(
  (
    'version versions ver v build builds release releases released rel rev revision firmware ' +
    'fw patch patched hotfix update updates updated updating upgrade upgrades upgraded ' +
    'upgrading downgrade downgraded downgrading install installed installing reinstalled ' +
    'rollback rolled revert reverted back since until prior newer older latest previous ' +
    'nightly beta alpha rc canary insider stable preview lts edition sdk jdk jre tag tagged'
  ).split(' '),
);
const VERSION_WORDS_AFTER = new Set(
  (
    'version build release beta alpha rc nightly stable lts preview canary insider hotfix ' +
    'patch x64 x86 arm64 amd64 bit'
  ).split(' '),
);
// Capitalised words that start sentences or name nothing: not product names.
const NOT_PRODUCT_WORDS = new Set(
  (
    'i a an the my our your their his her its this that these those it is was were be been ' +
    'are am at on in of for with by and or but not no yes ok so if use uses try tries get ' +
    'gets got see sees saw seen set sets hit hits block blocks ban bans also only just now then ' +
    'when while where which what who why how has have had do does did can could will would ' +
    'should may might must shows says said returns gives gave log logs sent send sends call ' +
    'calls behind between against over under than as like even here there hi hello thanks ' +
    'please into onto within without inside outside same other another every each any some ' +
    'all both note eg ie etc after before during about around near'
  ).split(' '),
);

// A number's own words end at a line break or a sentence end (". Next"); "ver. 3" goes on.
const CONTEXT_BREAK_RE = /\n|[.!?]\s+(?=[A-Z"'(])/g;
// What may stand between two numbers of one list or range: a port or prefix, punctuation,
// and/or/to/vs.
const LIST_GAP_RE =
  /^(?::\d{1,5}|\/\d{1,2})?[\s,;&/>→-]*(?:(?:and|or|to|vs\.?|then|nor)[\s,;&/>→-]*)?$/i;

interface IpContext {
  network: boolean;
  version: boolean;
  product: boolean;
  weak: boolean;
}

// A word starts with a letter and ends before a camelCase hump (`clientIp`, `IPAddress`).
const WORD_RE = /[A-Za-z](?:[a-z0-9]+|[A-Z0-9]*(?![a-z]))/g;

const NO_CONTEXT: IpContext = { network: false, version: false, product: false, weak: false };

/** Lower-case words, camelCase split (`clientIp` → client, ip); bare numbers are not words. */
function wordsOf(text: string): string[] {
  const words: string[] = [];
  for (const [word] of text.matchAll(WORD_RE)) words.push(word.toLowerCase());
  return words;
}

function isProductName(word: string): boolean {
  if (word.length < 2 || !/[A-Z]|[A-Za-z]\d|\d[A-Za-z]/.test(word)) return false;
  const lower = word.toLowerCase();
  if (/(?:ed|ing)$/.test(lower)) return false; // "Blocked 52.14.7.201" is a verb
  return !(
    NOT_PRODUCT_WORDS.has(lower) ||
    NETWORK_WORDS.has(lower) ||
    WEAK_NETWORK_WORDS.has(lower) ||
    VERSION_WORDS.has(lower)
  );
}

/** The context read around text[start..end), with words before it taken from `from` on. */
function readIpContext(text: string, from: number, start: number, end: number): IpContext {
  let before = text.slice(from, start);
  const breaks = [...before.matchAll(CONTEXT_BREAK_RE)];
  const last = breaks[breaks.length - 1];
  if (last?.index !== undefined) before = before.slice(last.index + last[0].length);
  const after = cutAt(text.slice(end, end + 40), /\n|[.!?](?:\s|$)/);
  // Network nouns after it describe it only within its clause ("3.7.11.0 and my IP is ...").
  const clause = cutAt(after, /[,;]|\b(?:and|or|but|while|when)\b/);

  const near = text.slice(Math.max(0, start - 3), start);
  const structural =
    /(?:\/\/|@|\\\\)$/.test(near) ||
    /^(?::\d{1,5}(?!\d)|\/(?:3[0-2]|[12]?\d)(?![\w.]))/.test(text.slice(end, end + 6));
  const wordsBefore = wordsOf(before).slice(-4);
  const wordsAfter = wordsOf(after).slice(0, 2);
  const clauseAfter = wordsOf(clause).slice(0, 3);
  const product = /([A-Za-z][A-Za-z0-9+#]*)[ \t]*[:([]?[ \t]*$/.exec(before.slice(-40))?.[1];
  return {
    network:
      structural ||
      wordsBefore.some((w) => NETWORK_WORDS.has(w)) ||
      clauseAfter.some((w) => NETWORK_NOUNS_AFTER.has(w)),
    version:
      wordsBefore.some((w) => VERSION_WORDS.has(w)) ||
      wordsAfter.some((w) => VERSION_WORDS_AFTER.has(w)),
    product: product !== undefined && isProductName(product),
    weak: wordsBefore.some((w) => WEAK_NETWORK_WORDS.has(w)),
  };
}

function cutAt(text: string, re: RegExp): string {
  const i = text.search(re);
  return i >= 0 ? text.slice(0, i) : text;
}

function isPrivateRange(a: number, b: number): boolean {
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254)
  );
}

/** The rules above, in order. */
function isIpAddress(dotted: string, c: IpContext): boolean {
  const octets = dotted.split('.').map(Number);
  const [a, b] = octets;
  if (a === 0 || a === 127) return false;
  if (c.network) return true;
  if (c.version) return false;
  if (isPrivateRange(a, b)) return true;
  if (c.product) return false;
  if (c.weak) return true;
  return octets.some((o) => o >= 100);
}

const ipv4: Pass = (text, ctx) => {
  let prev: { end: number; context: IpContext } | undefined;
  return text.replace(IPV4_RE, (match: string, start: number) => {
    const end = start + match.length;
    let from = Math.max(0, start - 80);
    let inherited = NO_CONTEXT;
    if (prev !== undefined && prev.end > from) {
      if (LIST_GAP_RE.test(text.slice(prev.end, start))) inherited = prev.context;
      from = prev.end;
    }
    const own = readIpContext(text, from, start, end);
    const context: IpContext = {
      network: ctx.networkValue || own.network || inherited.network,
      version: own.version || inherited.version,
      product: own.product || inherited.product,
      weak: own.weak || inherited.weak,
    };
    prev = { end, context };
    return isIpAddress(match, context) ? ctx.hit('ip') : match;
  });
};

const ipv6: Pass = (text, ctx) =>
  text.replace(IPV6_CANDIDATE_RE, (match) => {
    if (!isIpv6(match) || /^::1?$/.test(match)) return match;
    return ctx.hit('ip');
  });

function isIpv6(candidate: string): boolean {
  if (!/\d/.test(candidate)) return false; // `dead::beef`, `Foo::Bar` are code, not addresses
  let groups = candidate;
  if (/\.\d+$/.test(groups)) {
    // An IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
    if (!new RegExp(`(?:^|:)${IPV4}$`).test(groups)) return false;
    groups = groups.replace(/[\d.]+$/, '0:0');
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const parts = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!parts.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p))) return false;
  return halves.length === 2 ? parts.length < 8 : parts.length === 8;
}

// ---- phone numbers -------------------------------------------------------------------------

// International: +CC then groups; the first group may be one digit (+33 6 12 34 56 78).
const INTL_PHONE_RE =
  /(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?[ .-]?\d{1,4}(?:[ .-]?\d{2,4}){1,5}(?!\d|[.:/-]\d)/g;
// North American without +: (415) 555-2671, 415-555-2671, 415.555.2671 (one separator kind).
const NANP_PHONE_RE =
  /(?<![\w+./:-])(?:\([2-9]\d{2}\)[ -]?[2-9]\d{2}[-. ]\d{4}|[2-9]\d{2}([-.])[2-9]\d{2}\1\d{4})(?![\w]|[-./:]\d)/g;

const phones: Pass = (text, ctx) =>
  text
    .replace(INTL_PHONE_RE, (match) => {
      const digits = match.replace(/\D/g, '').length;
      return digits >= 8 && digits <= 15 ? ctx.hit('phone') : match;
    })
    .replace(NANP_PHONE_RE, () => ctx.hit('phone'));

// ---- pipeline ------------------------------------------------------------------------------

// Order matters: credentials in URLs and key=value before emails (user:pass@host is not an
// email), shaped tokens before the generic high-entropy check, emails before anything numeric,
// cards before IPs and phones (a grouped card number also looks like a phone), IPv6 before
// IPv4 (::ffff:10.0.0.1), and phones last.
const PIPELINE: readonly Pass[] = [
  urlUserinfo,
  namedCredentials,
  urlSecretParams,
  authSchemes,
  jwts,
  knownKeys,
  emails,
  highEntropy,
  cards,
  ipv6,
  ipv4,
  phones,
];

/** Replaces personal data and credentials in `text` with `[kind]` tokens and counts them. */
export function redactText(text: string, options: RedactOptions = {}): Redacted<string> {
  return redactString(text, options, false);
}

function redactString(
  text: string,
  options: RedactOptions,
  networkValue: boolean,
): Redacted<string> {
  const counts: RedactionCounts = {};
  const ctx: PassContext = {
    keepEmails: new Set((options.keepEmails ?? []).map((e) => e.trim().toLowerCase())),
    networkValue,
    hit(kind) {
      counts[kind] = (counts[kind] ?? 0) + 1;
      return `[${kind}]`;
    },
  };
  const value = PIPELINE.reduce((acc, pass) => pass(acc, ctx), text);
  return { value, counts };
}

/**
 * Walks strings inside plain objects/arrays (keys untouched, non-strings untouched), returns a
 * new value; counts summed. A string stored under a credential key (`{ password: 'x' }`) is
 * replaced whole, since nothing in the string itself says it is a secret.
 */
export function redactDeep<T>(value: T, options: RedactOptions = {}): Redacted<T> {
  let counts: RedactionCounts = {};
  const seen = new WeakMap<object, unknown>();

  // `network`: the value sits under a network key (`ip`, `clientIp`, `hosts: [...]`).
  const walk = (node: unknown, key?: string, network = false): unknown => {
    const networkKey = network || (key !== undefined && isNetworkKeyName(key));
    if (typeof node === 'string') {
      if (key !== undefined && isCredentialKeyName(key) && node !== '') {
        if (NOT_A_SECRET_VALUE_RE.test(node)) return node;
        counts = addCounts(counts, { password: 1 });
        return '[password]';
      }
      const result = redactString(node, options, networkKey);
      counts = addCounts(counts, result.counts);
      return result.value;
    }
    if (Array.isArray(node)) {
      if (seen.has(node)) return seen.get(node);
      const out: unknown[] = [];
      seen.set(node, out);
      for (const item of node) out.push(walk(item, undefined, networkKey));
      return out;
    }
    if (isPlainObject(node)) {
      if (seen.has(node)) return seen.get(node);
      const out: Record<string, unknown> = {};
      seen.set(node, out);
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, k);
      return out;
    }
    return node;
  };

  return { value: walk(value) as T, counts };
}

function isCredentialKeyName(key: string): boolean {
  // Try each split point: the key must end in a credential name at a word boundary.
  for (let i = 0; i < key.length; i++) {
    const prefix = key.slice(0, i);
    const name = key.slice(i);
    if (CREDENTIAL_KEY_RE.test(name) && isCredentialKey(prefix, name)) return true;
  }
  return false;
}

/** The key names an address: its last word is a network noun (`clientIp`, `remote_addr`, `hosts`). */
function isNetworkKeyName(key: string): boolean {
  if (/forwarded[-_]?for$/i.test(key)) return true; // X-Forwarded-For
  const last = wordsOf(key).pop();
  return (
    last !== undefined &&
    (NETWORK_NOUNS_AFTER.has(last) || /^(?:hosts|servers?|peers?)$/.test(last))
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Sums two sets of counts; kinds with no redactions are left out. */
export function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  const out: RedactionCounts = {};
  for (const kind of REDACTION_KINDS) {
    const n = (a[kind] ?? 0) + (b[kind] ?? 0);
    if (n > 0) out[kind] = n;
  }
  return out;
}

const NOUNS: Record<RedactionKind, [string, string]> = {
  email: ['email', 'emails'],
  phone: ['phone number', 'phone numbers'],
  card: ['card', 'cards'],
  secret: ['secret', 'secrets'],
  password: ['password', 'passwords'],
  ip: ['IP address', 'IP addresses'],
};

/** "2 emails, 1 card" style summary; '' when nothing. */
export function describeCounts(counts: RedactionCounts): string {
  return REDACTION_KINDS.filter((kind) => (counts[kind] ?? 0) > 0)
    .map((kind) => {
      const n = counts[kind] ?? 0;
      return `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`;
    })
    .join(', ');
}
