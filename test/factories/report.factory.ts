import { randomBytes } from 'node:crypto';

let counter = 0;

const AREAS = [
  'quarterly revenue chart',
  'team invitation email',
  'calendar sync',
  'avatar upload',
  'CSV export',
  'dark mode toggle',
  'webhook retry list',
  'password reset link',
  'audit log filter',
  'invoice PDF',
  'Slack notification',
  'search autocomplete',
  'two-factor prompt',
  'kanban drag handle',
  'timezone picker',
  'bulk archive',
  'API token page',
  'comment mentions',
  'file preview',
  'usage meter',
];
const SYMPTOMS = [
  'shows stale numbers after switching workspace',
  'never arrives although the toast says sent',
  'duplicates every recurring meeting',
  'rotates portrait photos sideways',
  'drops accented characters',
  'forgets the choice after reload',
  'lists deleted endpoints',
  'expires before it is opened',
  'ignores the date range',
  'renders totals in the wrong currency',
  'posts twice into the channel',
  'suggests archived customers',
  'loops back to the login screen',
  'snaps cards into the wrong column',
  'offsets meetings by an hour',
  'archives the unselected rows',
  'hides the copy button',
  'notifies nobody',
  'spins forever on large images',
  'counts seats of removed members',
];

/**
 * A different bug each time (so dedupe files them separately), except the first: "Saving
 * billing details fails", which the thin-path test reads back.
 */
function describeBug(n: number): string {
  if (n === 1) {
    return 'Saving billing details fails (1)\nI changed the card and pressed Save; it spun and then said "Something went wrong".';
  }
  const area = AREAS[(n * 7) % AREAS.length];
  const symptom = SYMPTOMS[(n * 13 + Math.floor(n / AREAS.length)) % SYMPTOMS.length];
  const ref = randomBytes(3).toString('hex');
  return `The ${area} ${symptom} (#${n}-${ref})`;
}

/** A realistic POST /v1/reports body; override any part. */
export function reportPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  const user = `user${counter}-${randomBytes(2).toString('hex')}`;
  return {
    description: describeBug(counter),
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
