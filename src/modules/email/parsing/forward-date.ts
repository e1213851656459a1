/**
 * Reads the date line of a forward header ("Mon, Dec 4, 2023 at 10:15 AM", "mié, 6 dic 2023 a
 * las 9:12", "Montag, 4. Dezember 2023 10:15", "Mon, 4 Dec 2023 10:15:00 +0100") as an ISO time.
 * Mail clients write it in the forwarder's language and usually without a zone; the forwarder's
 * own Date header carries the zone their client used, so that offset is the fallback.
 */

// First letters of month names (accents removed) in the languages the forward parser reads most.
const MONTH_PREFIXES: [string, number][] = [
  ['juin', 6],
  ['juil', 7],
  ['jan', 1],
  ['gen', 1],
  ['ene', 1],
  ['sty', 1],
  ['feb', 2],
  ['fev', 2],
  ['lut', 2],
  ['mar', 3],
  ['maa', 3],
  ['mrt', 3],
  ['apr', 4],
  ['avr', 4],
  ['abr', 4],
  ['kwi', 4],
  ['may', 5],
  ['mai', 5],
  ['mag', 5],
  ['mei', 5],
  ['maj', 5],
  ['jun', 6],
  ['giu', 6],
  ['jul', 7],
  ['lug', 7],
  ['aug', 8],
  ['ago', 8],
  ['aou', 8],
  ['sep', 9],
  ['set', 9],
  ['wrz', 9],
  ['oct', 10],
  ['okt', 10],
  ['ott', 10],
  ['out', 10],
  ['paz', 10],
  ['nov', 11],
  ['lis', 11],
  ['dec', 12],
  ['dic', 12],
  ['dez', 12],
  ['gru', 12],
];

const ZONES: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  UT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  IST: 60,
  CET: 60,
  CEST: 120,
  MEZ: 60,
  MESZ: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

function fold(word: string): string {
  return word
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

function monthOf(word: string): number | null {
  const w = fold(word);
  if (w.length < 3) return null;
  for (const [prefix, month] of MONTH_PREFIXES) if (w.startsWith(prefix)) return month;
  return null;
}

/** The zone offset in minutes of an RFC 5322 Date header ("… +0100"), or null. */
export function headerOffsetMinutes(dateHeader: string | null | undefined): number | null {
  const m = dateHeader?.match(/([+-])(\d{2})(\d{2})\s*(?:\([^)]*\))?\s*$/);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

function zoneOffset(text: string): number | null {
  let m = text.match(/\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b/i);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
  m = text.match(/(?:^|[\s(])([+-])(\d{2}):?(\d{2})\b/);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  for (const word of text.match(/\b[A-Z]{2,5}\b/g) ?? []) {
    if (word in ZONES) return ZONES[word];
  }
  return null;
}

function dayMonth(text: string): { day: number; month: number } | null {
  // European order: "4 Dec", "28. Oktober", "4 de diciembre".
  for (const m of text.matchAll(/(?<![\d:])(\d{1,2})\.?\s+(?:de\s+)?(\p{L}+)/gu)) {
    const month = monthOf(m[2]);
    if (month) return { day: Number(m[1]), month };
  }
  // English order: "Dec 4", "December 4,".
  for (const m of text.matchAll(/(\p{L}+)\.?\s+(\d{1,2})(?![\d:])/gu)) {
    const month = monthOf(m[1]);
    if (month) return { day: Number(m[2]), month };
  }
  return null;
}

/** The ISO time of a forward header's date, or null when it cannot be read. */
export function parseForwardDate(
  text: string,
  fallbackOffsetMinutes: number | null,
): string | null {
  const s = text.replace(/\u00a0/g, ' ').trim();
  if (!s) return null;
  let year: number;
  let month: number;
  let day: number;
  let rest: string;
  const iso = s.match(/\b(\d{4})-(\d{2})-(\d{2})\b/);
  const numeric = s.match(/(?<![\d:])(\d{1,2})([./])(\d{1,2})\2(\d{4})\b/);
  if (iso) {
    [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    rest = s.replace(iso[0], ' ');
  } else if (numeric) {
    const [a, b] = [Number(numeric[1]), Number(numeric[3])];
    // "4.12.2023" is day first; "12/4/2023" is an American month first unless it cannot be.
    const dayFirst = numeric[2] === '.' || a > 12;
    [day, month] = dayFirst ? [a, b] : [b, a];
    year = Number(numeric[4]);
    rest = s.replace(numeric[0], ' ');
  } else {
    const y = s.match(/\b(19\d{2}|20\d{2})\b/);
    if (!y) return null;
    year = Number(y[1]);
    const dm = dayMonth(s.replace(y[0], ' '));
    if (!dm) return null;
    ({ day, month } = dm);
    rest = s.replace(y[0], ' ');
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  let hour = 0;
  let minute = 0;
  let second = 0;
  const time = rest.match(/(?<!\d)(\d{1,2})[:h](\d{2})(?::(\d{2}))?(?:\s*([ap])\.?\s?m\b\.?)?/i);
  if (time) {
    hour = Number(time[1]);
    minute = Number(time[2]);
    second = Number(time[3] ?? 0);
    const half = time[4]?.toLowerCase();
    if (half === 'p' && hour < 12) hour += 12;
    if (half === 'a' && hour === 12) hour = 0;
    if (hour > 23 || minute > 59 || second > 59) return null;
  }
  const offset = zoneOffset(time ? rest.slice((time.index ?? 0) + time[0].length) : rest);
  const utc =
    Date.UTC(year, month - 1, day, hour, minute, second) -
    (offset ?? fallbackOffsetMinutes ?? 0) * 60_000;
  const date = new Date(utc);
  // Rejects 31 February and the like, which Date.UTC would roll into March.
  if (date.getUTCFullYear() < 1990) return null;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1) return null;
  return date.toISOString();
}
