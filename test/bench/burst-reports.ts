import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { reportPayload } from '../factories/report.factory';

/**
 * Near-identical reports of a few bugs, as a burst of customers sends them: the same words, each
 * with its own id (a reference code, a request id, an order number, a trace id) the way support
 * widgets and error pages print one. Shared by `npm run bench:burst`, `bench:pipeline` and the
 * burst e2e test.
 */
export interface BurstBug {
  name: string;
  page: string;
  text: (id: string) => string;
}

export const BURST_BUGS: BurstBug[] = [
  {
    name: 'csv-export',
    page: 'https://app.acme.example/reports/export',
    text: (id) =>
      `Export to CSV fails with error 500 (ref ${id})\nI clicked Export on the Reports page and got "Something went wrong".`,
  },
  {
    name: 'blank-charts',
    page: 'https://app.acme.example/dashboard',
    text: (id) =>
      `Dashboard charts stay blank after login (${id})\nThe charts on the home dashboard never load; the spinner keeps turning.`,
  },
  {
    name: 'reset-email',
    page: 'https://app.acme.example/login/reset',
    text: (id) =>
      `Password reset email never arrives, request ${id}\nI asked for a reset link twice and nothing came, not even in spam.`,
  },
];

const LETTERS = 'abcdefghjkmnpqrstuvwxyz';

/** An id in one of the shapes products print. */
export function burstId(): string {
  switch (randomInt(4)) {
    case 0: {
      // A short reference code: `8f3k2`.
      let code = '';
      for (let i = 0; i < 5 + randomInt(2); i++)
        code += i % 2 ? LETTERS[randomInt(LETTERS.length)] : String(randomInt(10));
      return code;
    }
    case 1:
      return `${randomInt(1, 10)}${randomBytes(6).toString('hex')}`;
    case 2:
      return `#${randomInt(1_000_000, 9_999_999)}`;
    default:
      return randomUUID();
  }
}

/** The body of POST /v1/reports for one report of `bug`, from its own reporter and account. */
export function burstReport(bug: BurstBug, n: number): Record<string, unknown> {
  return reportPayload({
    description: bug.text(burstId()),
    page: { url: bug.page, title: 'Acme' },
    account: { id: `acct_${bug.name}_${n % 50}`, name: `Customer ${n % 50}` },
  });
}
