import { DomainError } from '../../common/errors';
import {
  decodeListCursor,
  encodeListCursor,
  listExcerpt,
  listTitle,
  parseStatuses,
} from './report-list';

const fieldOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return ((error as DomainError).details?.fields as { field: string }[])[0].field;
  }
  return null;
};

describe('the report list', () => {
  it('gives back the position a cursor was made from, microseconds and all', () => {
    const position = {
      needsPerson: true,
      createdAt: '2026-12-08 01:15:10.123456+00',
      id: '6f1c1f7e-8d6a-4a3b-9a7e-2f0d0c1b2a39',
    };
    expect(decodeListCursor(encodeListCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 json', 'x'],
    ['a bad time', Buffer.from(JSON.stringify([1, "now'; --", 'x'])).toString('base64url')],
    [
      'a bad id',
      Buffer.from(JSON.stringify([0, '2026-12-08 01:15:10+00', 'nope'])).toString('base64url'),
    ],
    ['another shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
  ])('refuses %s as a 400 naming the cursor', (_what, raw) => {
    expect(fieldOf(() => decodeListCursor(raw))).toBe('cursor');
  });

  it('reads a comma-separated status filter and names the field for an unknown status', () => {
    expect(parseStatuses('needs_human, filed,needs_human')).toEqual(['needs_human', 'filed']);
    expect(parseStatuses(undefined)).toBeUndefined();
    expect(fieldOf(() => parseStatuses('filed,archived'))).toBe('status');
    expect(fieldOf(() => parseStatuses(' , '))).toBe('status');
  });

  it('titles a report by its proposed ticket, else its first line, within 120 characters', () => {
    expect(listTitle('\n  Checkout fails\nmore', 'Pay now fails (502)')).toBe(
      'Pay now fails (502)',
    );
    expect(listTitle('\n  Checkout   fails\nmore', null)).toBe('Checkout fails');
    const long = listTitle('a'.repeat(300), null);
    expect([...long]).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });

  it('keeps an excerpt of at most 280 characters', () => {
    expect(listExcerpt('one\n\ntwo')).toBe('one two');
    expect([...listExcerpt('word '.repeat(200))].length).toBeLessThanOrEqual(280);
  });
});
