import { errorTextSimilarity, normalizeErrorText, parseStackLine } from './error-text';

describe('normalizeErrorText', () => {
  it('makes the same error from two browsers and two sessions compare equal', () => {
    const chrome = normalizeErrorText(
      "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
    );
    const later = normalizeErrorText(
      'TypeError: Cannot read properties of undefined (reading "id")',
    );
    expect(chrome).toBe(later);
    expect(chrome).toBe('typeerror: cannot read properties of undefined (reading id)');
  });

  it('strips numbers, ids, hashes and URLs', () => {
    const a = normalizeErrorText(
      'Error: Invoice 8812 (3f2b8a9c-1d2e-4f5a-9b8c-7d6e5f4a3b2c) failed at https://app.example.com/api/invoices/8812?x=1 after 1.5s',
    );
    const b = normalizeErrorText(
      'Error: Invoice 17 (0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b) failed at https://eu.example.com/api/invoices/17 after 30s',
    );
    expect(a).toBe(b);
    expect(a).not.toMatch(/\d|https?:/);
    expect(normalizeErrorText('ChunkLoadError: Loading chunk 5f3e2a1b9c failed.')).toBe(
      'chunkloaderror: loading chunk failed.',
    );
  });

  it('keeps only the first line and drops "Uncaught (in promise)"', () => {
    expect(normalizeErrorText('Uncaught (in promise) Error: boom\n    at x (a.js:1:2)')).toBe(
      'boom',
    );
  });
});

describe('errorTextSimilarity', () => {
  it('is 1 for equal text, high for a truncated title, low for another error', () => {
    const full = normalizeErrorText(
      "TypeError: Cannot read properties of undefined (reading 'id')",
    );
    const cut = normalizeErrorText('TypeError: Cannot read properties of undefined');
    const other = normalizeErrorText('RangeError: Maximum call stack size exceeded');
    expect(errorTextSimilarity(full, full)).toBe(1);
    expect(errorTextSimilarity(full, cut)).toBeGreaterThan(0.8);
    expect(errorTextSimilarity(full, other)).toBeLessThan(0.2);
    expect(errorTextSimilarity('', full)).toBe(0);
  });
});

describe('parseStackLine', () => {
  it('reads V8 and Firefox frames as file, line and function', () => {
    expect(
      parseStackLine('    at saveCard (https://app.example.com/static/js/billing.js:120:15)'),
    ).toEqual({
      file: '/static/js/billing.js',
      line: 120,
      function: 'saveCard',
    });
    expect(parseStackLine('at https://app.example.com/main.js:9:1')).toEqual({
      file: '/main.js',
      line: 9,
      function: null,
    });
    expect(parseStackLine('saveCard@https://app.example.com/billing.js:7:3')).toEqual({
      file: '/billing.js',
      line: 7,
      function: 'saveCard',
    });
    expect(parseStackLine('save (https://app.example.com/static/app.js:120:15)')).toEqual({
      file: '/static/app.js',
      line: 120,
      function: 'save',
    });
    expect(parseStackLine('TypeError: nope')).toBeNull();
  });
});
