import { withoutIdentifiers } from './identifiers';

describe('withoutIdentifiers', () => {
  it.each([
    ['Export to CSV fails with error 500 (ref 8f3k2)', 'Export to CSV fails with error 500 (ref )'],
    ['Request 3f9a2c7e0b failed', 'Request failed'],
    ['Order 1234567 stuck', 'Order stuck'],
    ['Trace 123e4567-e89b-12d3-a456-426614174000 lost', 'Trace lost'],
    ['Code A9X2K7 rejected', 'Code rejected'],
  ])('blanks the id in %j', (text, expected) => {
    expect(withoutIdentifiers(text)).toBe(expected);
  });

  it.each([
    'MP4 upload fails on h264 files',
    'OAuth2 login loops',
    'sha256 mismatch on deadbeef',
    'Error 500 since 2024',
    'i18n strings missing',
  ])('keeps words that name things in %j', (text) => {
    expect(withoutIdentifiers(text)).toBe(text);
  });
});
