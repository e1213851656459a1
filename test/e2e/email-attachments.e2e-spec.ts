import type { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import MailComposer from 'nodemailer/lib/mail-composer';
import request from 'supertest';
import { EmailAttachment } from '../../src/modules/email/attachments/email-attachment.entity';
import { EmailAttachmentsService } from '../../src/modules/email/attachments/email-attachments.service';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp } from '../support/harness';
import { waitForReport } from '../support/reports';

type Mail = ConstructorParameters<typeof MailComposer>[0];

/** A raw MIME message as a mail client would send it. */
async function compose(mail: Mail): Promise<Buffer> {
  return new MailComposer({ to: 'bugs@repro.test', ...mail }).compile().build();
}

/** A real PNG of `width`×`height` (RGB, a gradient with a red "error" bar), as a screenshot is. */
function screenshot(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const bar = y > height / 2 && y < height / 2 + 12;
      rows.set(bar ? [220, 40, 40] : [x % 256, y % 256, 200], row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A HAR file with one failed save. */
function harFile(): string {
  return JSON.stringify({
    log: {
      version: '1.2',
      entries: [
        {
          startedDateTime: '2026-12-07T09:40:00.000Z',
          time: 120,
          request: { method: 'POST', url: 'https://shop.test/api/checkout', headers: [] },
          response: { status: 502, headers: [] },
        },
      ],
    },
  });
}

const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>';

/** The body as bytes, whatever its type. */
const bytes = (req: request.Test) =>
  req.buffer(true).parse((res, done) => {
    const parts: Buffer[] = [];
    res.on('data', (part: Buffer) => parts.push(part));
    res.on('end', () => done(null, Buffer.concat(parts)));
  });

describe('images attached to a mail become evidence on its ticket', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let attachments: EmailAttachmentsService;
  const png = screenshot(320, 200);

  beforeAll(async () => {
    h = await createHarness();
    app = await h.start('all');
    acme = await createProject(h.db);
    attachments = (app.app as INestApplication).get(EmailAttachmentsService, { strict: false });
  });
  afterAll(() => h.close());

  /** Mails a report with these attachments and waits for its built-in ticket's body. */
  async function fileMail(
    subject: string,
    text: string,
    files: NonNullable<NonNullable<Mail>['attachments']>,
  ) {
    // Each test's mail is about something else, so none is taken for another's duplicate.
    const raw = await compose({
      from: 'Mo Shopper <mo@shop.test>',
      subject,
      text: `${text} (${randomBytes(3).toString('hex')})`,
      attachments: files,
    });
    const res = await request(app.url)
      .post('/v1/emails')
      .set(acme.auth)
      .set('Content-Type', 'message/rfc822')
      .send(raw)
      .expect(202);
    const reportId = res.body.id as string;
    const view = await waitForReport(app.url, acme.auth, reportId, 'filed');
    const ticket = await request(app.url)
      .get(`/v1/tickets/${encodeURIComponent(view.ticket!.key)}`)
      .set(acme.auth)
      .expect(200);
    const body = ticket.body.body as string;
    // Each image the ticket shows, as a tracker would fetch it: path and query on our server.
    const images = [...body.matchAll(/!\[([^\]]*)\]\(([^)\s]+)\)/g)].map((m) => {
      const url = new URL(m[2]);
      return { alt: m[1], url, path: `${url.pathname}${url.search}` };
    });
    return { reportId, body, images };
  }

  it('shows the screenshot in the ticket from a signed link that serves its exact bytes', async () => {
    const { body, images } = await fileMail(
      'Checkout broken',
      'Paying fails with a red error at checkout, screenshot attached.',
      [
        { filename: 'checkout error.png', content: png, contentType: 'image/png' },
        { filename: 'session.har', content: harFile(), contentType: 'application/json' },
        { filename: 'notes.txt', content: 'Tried twice, same error.\n', contentType: 'text/plain' },
      ],
    );
    expect(images).toHaveLength(1);
    const [image] = images;
    expect(image.alt).toBe('checkout error\\.png');
    expect(image.url.origin).toBe(new URL(h.config.PUBLIC_URL).origin);
    expect(image.url.pathname).toMatch(/^\/attachments\/[0-9a-f-]{36}$/);
    // The other files are listed, with their size; the HAR's failed request is evidence.
    expect(body).toContain('- Image: `checkout error.png`');
    expect(body).toMatch(/- HAR file: `session\.har` \(\d+ B\)/);
    expect(body).toContain('- File: `notes.txt` (25 B)');
    expect(body).toContain('`POST https://shop.test/api/checkout` → 502');

    // No credential but the link: what Linear or GitHub's image proxy does.
    const served = await bytes(request(app.url).get(image.path)).expect(200);
    expect(Buffer.compare(served.body as Buffer, png)).toBe(0);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(served.headers['content-disposition']).toBe(
      `inline; filename="checkout error.png"; filename*=UTF-8''checkout%20error.png`,
    );
    expect(served.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
  });

  it('refuses a tampered, missing or expired signature, and says so with a stable code', async () => {
    const { images } = await fileMail(
      'Avatar upload',
      'My profile picture never updates after uploading a new photo.',
      [{ filename: 'screen.png', content: png, contentType: 'image/png' }],
    );
    const { url } = images[0];
    const sig = url.searchParams.get('sig')!;
    const tampered = new URL(url);
    tampered.searchParams.set('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
    const longer = new URL(url);
    longer.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 1));
    const expired = new URL(await attachments.linkFor(url.pathname.split('/').pop()!, 0));
    for (const path of [
      `${tampered.pathname}${tampered.search}`,
      `${longer.pathname}${longer.search}`,
      url.pathname,
      `${expired.pathname}${expired.search}`,
    ]) {
      const res = await request(app.url).get(path).expect(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    const res = await request(app.url).get(`${expired.pathname}${expired.search}`);
    expect(res.body.error.message).toContain('expired');
    // A link for another image does not open this one.
    const other = new URL(await attachments.linkFor(randomUUID()));
    await request(app.url).get(`${url.pathname}${other.search}`).expect(401);
    // A genuine link to an image that is not (or no longer) there.
    const gone = await request(app.url).get(`${other.pathname}${other.search}`).expect(404);
    expect(gone.body.error.code).toBe('NOT_FOUND');
  });

  it('lists an SVG and an image that is not what it claims, and serves neither', async () => {
    const { reportId, body, images } = await fileMail(
      'Invoice logo',
      'The company logo is missing from the PDF invoices we download each month.',
      [
        { filename: 'logo.svg', content: SVG, contentType: 'image/svg+xml' },
        { filename: 'fake.png', content: `<html>${SVG}</html>`, contentType: 'image/png' },
        { filename: 'real.png', content: png, contentType: 'image/png' },
      ],
    );
    expect(body).toMatch(/- Image: `logo\.svg` \(\d+ B\), not shown/);
    expect(body).toMatch(/- Image: `fake\.png` \(\d+ B\), not shown/);
    expect(images.map((i) => i.alt)).toEqual(['real\\.png']);
    // Only the real image was kept at all.
    const kept = await h.db.getRepository(EmailAttachment).find({ where: { reportId } });
    expect(kept.map((k) => [k.filename, k.contentType])).toEqual([['real.png', 'image/png']]);
  });
});
