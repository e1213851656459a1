import type { MailAttachment } from '../email.types';
import { inlineDisposition, sniffImageType, storableImages } from './image-attachments';

// A real 1×1 PNG, and the first bytes of each other format.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x1a, 0, 0, 0]),
  Buffer.from('WEBPVP8L'),
]);
const HTML = Buffer.from('<html><script>alert(1)</script></html>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');

function attachment(overrides: Partial<MailAttachment>): MailAttachment {
  const content = overrides.content === undefined ? PNG : overrides.content;
  return {
    filename: 'screen.png',
    contentType: 'image/png',
    size: content?.length ?? 0,
    kind: 'image',
    content,
    dropped: null,
    ...overrides,
  };
}

describe('image attachments', () => {
  it('knows PNG, JPEG, GIF and WebP by their bytes, and nothing else', () => {
    expect(sniffImageType(PNG)).toBe('image/png');
    expect(sniffImageType(JPEG)).toBe('image/jpeg');
    expect(sniffImageType(GIF)).toBe('image/gif');
    expect(sniffImageType(WEBP)).toBe('image/webp');
    expect(sniffImageType(HTML)).toBeNull();
    expect(sniffImageType(SVG)).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
    // A truncated signature is not the format.
    expect(sniffImageType(PNG.subarray(0, 4))).toBeNull();
    expect(sniffImageType(Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'))).toBeNull();
  });

  it('keeps the images that are what they claim, each with its place in the mail', () => {
    const kept = storableImages([
      attachment({
        filename: 'notes.txt',
        contentType: 'text/plain',
        kind: 'other',
        content: HTML,
      }),
      attachment({ filename: 'screen.png' }),
      attachment({ filename: 'photo.jpg', contentType: 'image/jpg', content: JPEG }),
      attachment({ filename: 'spin.gif', contentType: 'image/gif; name="spin.gif"', content: GIF }),
      attachment({ filename: 'shot.webp', contentType: 'IMAGE/WEBP', content: WEBP }),
    ]);
    expect(kept.map((k) => [k.position, k.filename, k.contentType])).toEqual([
      [1, 'screen.png', 'image/png'],
      [2, 'photo.jpg', 'image/jpeg'],
      [3, 'spin.gif', 'image/gif'],
      [4, 'shot.webp', 'image/webp'],
    ]);
    expect(Buffer.from(kept[0].content).equals(PNG)).toBe(true);
  });

  it('keeps no SVG, no image that is not what it claims, and none over the size limit', () => {
    const kept = storableImages([
      attachment({ filename: 'logo.svg', contentType: 'image/svg+xml', content: SVG }),
      // An SVG (or a page) named and typed as a PNG.
      attachment({ filename: 'fake.png', contentType: 'image/png', content: SVG }),
      attachment({ filename: 'page.png', contentType: 'image/png', content: HTML }),
      // Real bytes of another format than declared.
      attachment({ filename: 'jpeg.png', contentType: 'image/png', content: JPEG }),
      // Formats browsers may show but we do not serve.
      attachment({ filename: 'x.bmp', contentType: 'image/bmp', content: PNG }),
      attachment({ filename: 'x.ico', contentType: 'image/x-icon', content: PNG }),
      attachment({
        filename: 'big.png',
        size: 20_000_000,
        content: null,
        dropped: 'over the attachment limit (20000000 bytes > 10485760 bytes)',
      }),
      // PNG bytes in a part that is not an image (an octet-stream, a .har).
      attachment({ filename: 'x.png', contentType: 'application/octet-stream', kind: 'other' }),
      attachment({ filename: 'empty.png', content: new Uint8Array() }),
    ]);
    expect(kept).toEqual([]);
  });

  it('keeps a filename as one bounded line, and an unnamed image unnamed', () => {
    const [named, unnamed] = storableImages([
      attachment({ filename: `a\r\nb\t${'x'.repeat(400)}.png` }),
      attachment({ filename: null }),
    ]);
    expect(named.filename).toMatch(/^a b x+$/);
    expect(named.filename).toHaveLength(255);
    expect(unnamed.filename).toBeNull();
  });

  it('names the served file inline with an ASCII fallback that cannot break the header', () => {
    expect(inlineDisposition('screen.png', 'image/png')).toBe(
      `inline; filename="screen.png"; filename*=UTF-8''screen.png`,
    );
    expect(inlineDisposition(null, 'image/jpeg')).toBe(
      `inline; filename="image.jpg"; filename*=UTF-8''image.jpg`,
    );
    const hostile = inlineDisposition('a";\r\nSet-Cookie: x=1; é(1)\\.png', 'image/png');
    expect(hostile).toBe(
      `inline; filename="a____Set-Cookie: x=1_ _(1)_.png"; filename*=UTF-8''a%22%3B%0D%0ASet-Cookie%3A%20x%3D1%3B%20%C3%A9%281%29%5C.png`,
    );
    expect(hostile).not.toMatch(/[\r\n]/);
  });
});
