import { isUUID } from 'class-validator';
import { ValidationFailedError } from '../../common/errors';
import type { ListPosition } from '../reports/report-list';
import { REPORT_STATUSES, type ReportStatus } from '../reports/report-state-machine';

/** A timestamptz as PostgreSQL prints it: `2026-12-08 01:15:10.123456+00`. */
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

const invalidCursor = () =>
  new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor this API returned' }]);

/** The opaque cursor of GET /v1/reports: where the next page starts. */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(
    JSON.stringify([position.needsPerson ? 1 : 0, position.createdAt, position.id]),
  ).toString('base64url');
}

/** Checked whole before PostgreSQL sees it: a crafted time or id would be a 500 there. */
export function decodeListCursor(raw: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidCursor();
  const [needsPerson, createdAt, id] = parsed as unknown[];
  if (
    (needsPerson !== 0 && needsPerson !== 1) ||
    typeof createdAt !== 'string' ||
    !PG_TIMESTAMP.test(createdAt) ||
    typeof id !== 'string' ||
    !isUUID(id)
  ) {
    throw invalidCursor();
  }
  return { needsPerson: needsPerson === 1, createdAt, id };
}

/** `needs_human,filed` → the statuses; a 400 naming `status` for an unknown one. */
export function parseStatuses(raw: string | undefined): ReportStatus[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((s) => !(REPORT_STATUSES as readonly string[]).includes(s));
  if (!names.length || unknown.length) {
    throw new ValidationFailedError([
      {
        field: 'status',
        message: `must be a comma-separated list of ${REPORT_STATUSES.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}`,
      },
    ]);
  }
  return [...new Set(names)] as ReportStatus[];
}

/** Cut to `max` characters, an ellipsis marking the cut (within the `max`). */
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/** The list's title: the proposed ticket's, else the description's first non-blank line. */
export function listTitle(description: string, proposed: string | null | undefined): string {
  const own = proposed?.trim();
  const firstLine = description.split('\n').find((line) => line.trim()) ?? '';
  return cut((own || firstLine).replace(/\s+/g, ' ').trim(), 120);
}

/** The list's excerpt: the description with its whitespace collapsed, at most 280 characters. */
export function listExcerpt(description: string): string {
  return cut(description.replace(/\s+/g, ' ').trim(), 280);
}
