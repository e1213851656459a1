import type { FieldProblem } from '../../../common/errors';
import { normaliseOrigin } from '../../../common/origins';

/**
 * Checks of the settings forms that class-validator cannot express, as pure functions. Each
 * returns the value as stored (normalised) and the problems, each naming its field.
 */
export interface Checked<T> {
  value: T;
  problems: FieldProblem[];
}

/** The widget's allowed origins, normalised and without repeats. */
export function checkOrigins(field: string, entries: string[]): Checked<string[]> {
  const value: string[] = [];
  const problems: FieldProblem[] = [];
  entries.forEach((entry, i) => {
    const origin = normaliseOrigin(entry);
    if (!origin) {
      problems.push({
        field: `${field}.${i}`,
        message: `"${entry}" is not an origin like https://app.example.com (scheme, host, port; no path)`,
      });
    } else if (!value.includes(origin)) value.push(origin);
  });
  return { value, problems };
}

const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** Staff senders as `repro email --staff` takes them: addresses and `@domains`, lower-cased. */
export function checkStaffSenders(field: string, entries: string[]): Checked<string[]> {
  const value: string[] = [];
  const problems: FieldProblem[] = [];
  entries.forEach((entry, i) => {
    const e = entry.trim().toLowerCase();
    const ok = e.startsWith('@') ? DOMAIN.test(e.slice(1)) : ADDRESS.test(e);
    if (!ok) {
      problems.push({
        field: `${field}.${i}`,
        message: `"${entry}" is neither an address (a@x.com) nor a domain (@x.com)`,
      });
    } else if (!value.includes(e)) value.push(e);
  });
  return { value, problems };
}

/** The email domain → account map, as `repro email --domain-accounts` takes it. */
export function checkDomainAccounts(
  field: string,
  map: Record<string, unknown>,
): Checked<Record<string, string>> {
  const value: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  for (const [domain, account] of Object.entries(map)) {
    const d = domain.trim().toLowerCase().replace(/^@/, '');
    if (!DOMAIN.test(d)) {
      problems.push({ field: `${field}.${domain}`, message: `"${domain}" is not a domain` });
    } else if (typeof account !== 'string' || !account.trim() || account.length > 200) {
      problems.push({
        field: `${field}.${domain}`,
        message: 'must be an account id (1 to 200 characters)',
      });
    } else value[d] = account.trim();
  }
  return { value, problems };
}
