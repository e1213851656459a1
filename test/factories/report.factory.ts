import { randomBytes } from 'node:crypto';

let counter = 0;

const SYLLABLES = [
  'ka',
  'lo',
  'vex',
  'tam',
  'sin',
  'pri',
  'do',
  'mur',
  'zen',
  'qua',
  'fel',
  'rho',
  'bi',
  'nox',
  'tel',
  'gar',
];
const VERBS = [
  'drops',
  'duplicates',
  'hides',
  'freezes',
  'forgets',
  'misorders',
  'truncates',
  'rejects',
  'mislabels',
  'resets',
  'overwrites',
  'ignores',
  'delays',
  'crops',
  'blanks',
  'mangles',
];

const used = new Set<string>();

/**
 * A made-up product word, never the same twice in a test file, so two generated reports share
 * no telling word. Drawn freely from 4,096 words, crash-safety's seven reports shared one in
 * about 1 run of 20, and dedupe rightly held the later report for a person instead of filing it.
 */
function word(): string {
  if (used.size >= SYLLABLES.length ** 3) throw new Error('No made-up words left for reports');
  for (;;) {
    const bytes = randomBytes(3);
    const candidate = Array.from(bytes, (b) => SYLLABLES[b % SYLLABLES.length]).join('');
    if (used.has(candidate)) continue;
    used.add(candidate);
    return candidate;
  }
}

/**
 * A different bug each time (so dedupe files them separately), except the first: "Saving
 * billing details fails", which the thin-path test reads back.
 */
function describeBug(n: number): string {
  if (n === 1) {
    return 'Saving billing details fails (1)\nI changed the card and pressed Save; it spun and then said "Something went wrong".';
  }
  const name = word();
  return `${name[0].toUpperCase()}${name.slice(1)} ${VERBS[n % VERBS.length]} the ${word()} ${word()} (${n})`;
}

export function reportPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  const user = `user${counter}-${randomBytes(2).toString('hex')}`;
  return {
    // Drawn only when none is given: bench:pipeline writes its own for 1,000 reports a run, and drawing
    // 3 unused words for each anyway used up the 4,096 before its second run.
    description: overrides.description ?? describeBug(counter),
    reporter: { email: `${user}@acme.example`, name: 'Ana Lima', id: user },
    account: { id: 'acct_acme', name: 'Acme Inc.' },
    page: { url: 'https://app.acme.example/settings/billing', title: 'Billing · Acme' },
    client: {
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      viewport: { width: 1440, height: 900 },
      locale: 'pt-BR',
      timezone: 'America/Sao_Paulo',
    },
    ...overrides,
  };
}

/** A few rrweb-shaped events (meta, full snapshot, click) spanning `durationMs`. */
export function rrwebEvents(durationMs = 4_000): Record<string, unknown>[] {
  const start = Date.now() - durationMs;
  return [
    {
      type: 4,
      data: { href: 'https://app.acme.example/settings/billing', width: 1440, height: 900 },
      timestamp: start,
    },
    {
      type: 2,
      data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { top: 0, left: 0 } },
      timestamp: start + 10,
    },
    { type: 3, data: { source: 2, type: 2, id: 1, x: 10, y: 20 }, timestamp: start + durationMs },
  ];
}
