/**
 * Forward-detection evaluation: every forward in test/fixtures/email/forwards (one per mail
 * client and language, see forward-cases.ts) is parsed, and the share whose original customer
 * (address and name) comes out right is reported and must be at least 95 %.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORWARD_CASES, STAFF } from '../../../../test/fixtures/email/forward-cases';
import type { ParsedEmail } from '../email.types';
import { parseEmail } from './parse-email';

const DIR = join(__dirname, '../../../../test/fixtures/email/forwards');
const TARGET = 0.95;

const parsed = new Map<string, ParsedEmail>();

beforeAll(async () => {
  for (const c of FORWARD_CASES) {
    parsed.set(
      c.name,
      await parseEmail(readFileSync(join(DIR, `${c.name}.eml`)), { maxAttachmentBytes: 1 << 20 }),
    );
  }
});

it('has a fixture for every case and a case for every fixture', () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => f.replace(/\.eml$/, ''))
    .sort();
  expect(files).toEqual(FORWARD_CASES.map((c) => c.name).sort());
  expect(new Set(FORWARD_CASES.map((c) => c.client)).size).toBeGreaterThanOrEqual(6);
  expect(new Set(FORWARD_CASES.map((c) => c.language)).size).toBeGreaterThanOrEqual(3);
});

it(`finds the original customer (address and name) in at least ${TARGET * 100} % of forwards`, () => {
  const rows = FORWARD_CASES.map((c) => {
    const from = parsed.get(c.name)?.forwarded?.from;
    const ok = from?.address === c.customer.address && from?.name === c.customer.name;
    return {
      case: c.name,
      client: c.client,
      language: c.language,
      ok,
      got: from ? `${from.name} <${from.address}>` : '-',
    };
  });
  const share = rows.filter((r) => r.ok).length / rows.length;
  const misses = rows.filter((r) => !r.ok).map((r) => `${r.case}: ${r.got}`);
  console.log(
    `forward detection: ${rows.filter((r) => r.ok).length}/${rows.length} = ${(share * 100).toFixed(1)} % ` +
      `(${new Set(rows.map((r) => r.client)).size} clients, ${new Set(rows.map((r) => r.language)).size} languages)` +
      (misses.length ? `; missed: ${misses.join('; ')}` : ''),
  );
  expect(share).toBeGreaterThanOrEqual(TARGET);
});

describe.each(FORWARD_CASES.map((c) => [`${c.client} (${c.language}) ${c.name}`, c] as const))(
  '%s',
  (_label, c) => {
    it("reads the customer's mail: sender, date, subject and their own words", () => {
      const mail = parsed.get(c.name)!;
      expect(mail.from?.address).toBe(STAFF.address);
      expect(mail.automated).toBeNull();
      expect(mail.forwarded).toMatchObject({
        from: c.customer,
        date: c.originalDate.iso,
        subject: c.originalSubject,
      });
      const body = mail.forwarded!.body.replace(/\s+/g, ' ');
      expect(body).toContain(c.words.replace(/\s+/g, ' '));
      // Quoted history and "-- " signatures below the customer's words are not their words.
      expect(body).not.toMatch(/wrote:|^>|\n-- |Sent from my iPhone/);
      expect(body).not.toContain(c.note.split('\n')[0]);
    });

    it("keeps the forwarder's note as the new words, apart from the customer's", () => {
      const mail = parsed.get(c.name)!;
      expect(mail.newText).toContain(c.note.split('\n')[0]);
      expect(mail.newText).not.toContain(c.customer.address);
      expect(mail.newText).not.toContain(c.words.split('\n').at(-1)!);
    });
  },
);
