import { isStorableText, storable, storableText } from './storable-text';

describe('storable text', () => {
  it('finds and replaces what PostgreSQL refuses, and nothing else', () => {
    expect(isStorableText('plain café 🐛')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
    expect(isStorableText('half \ud83d')).toBe(false);
    expect(storableText('a\u0000b \ud83d c 🐛')).toBe('a\ufffdb \ufffd c 🐛');
    expect(storable({ list: ['\u0000'], n: 1, nested: { s: '\udc00' } })).toEqual({
      list: ['\ufffd'],
      n: 1,
      nested: { s: '\ufffd' },
    });
  });
});
