import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { timingSafeEqual } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { UnauthorizedError } from '../../../common/errors';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import { StagesService } from '../../pipeline/stages.service';
import { ReplayLinksService } from '../../replay/replay-links.service';
import type { EmailImageLink } from '../../triage/engine/ticket/ticket-body';
import type { MailAttachment } from '../email.types';
import { EmailAttachment } from './email-attachment.entity';
import { type ServedImageType, storableImages } from './image-attachments';

/** How long an image link put into a ticket opens the image: 90 days, as a replay link. */
export const IMAGE_LINK_TTL_SECONDS = 90 * 24 * 60 * 60;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXP_PATTERN = /^[1-9]\d{0,11}$/;
// HMAC-SHA256 is 32 bytes: 43 base64url characters without padding.
const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * What is signed for an image link, under the replay links' key. The prefix keeps the two kinds
 * apart: a replay link signs a bare report id, which never starts with it.
 */
const signed = (id: string) => `email-attachment:${id}`;

export interface StoredImage {
  filename: string | null;
  contentType: ServedImageType;
  content: Buffer;
}

/**
 * The images of a mail that made a report: stored in the report's transaction, linked from its
 * ticket by signed, expiring URLs (`/attachments/:id?exp=&sig=`), served by
 * EmailAttachmentsController.
 */
@Injectable()
export class EmailAttachmentsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly replayLinks: ReplayLinksService,
    private readonly stages: StagesService,
  ) {}

  onModuleInit(): void {
    // The pipeline composes tickets but sits below email: it asks for the links through this.
    this.stages.provideEmailImages((reportId) => this.imageLinksFor(reportId));
  }

  /**
   * Keeps the mail's images (storableImages) for its report, in the transaction that stores the
   * report and the mail. Returns how many were kept.
   */
  async storeImageAttachments(
    manager: EntityManager,
    mail: { projectId: string; emailId: string; reportId: string; attachments: MailAttachment[] },
  ): Promise<number> {
    const images = storableImages(mail.attachments);
    if (!images.length) return 0;
    await manager
      .createQueryBuilder()
      .insert()
      .into(EmailAttachment)
      .values(
        images.map((image) => ({
          projectId: mail.projectId,
          emailId: mail.emailId,
          reportId: mail.reportId,
          position: image.position,
          filename: image.filename,
          contentType: image.contentType,
          size: image.content.byteLength,
          content: Buffer.from(
            image.content.buffer,
            image.content.byteOffset,
            image.content.byteLength,
          ),
        })),
      )
      .execute();
    return images.length;
  }

  /** Signed links to a report's stored images, in the mail's attachment order. */
  async imageLinksFor(reportId: string, now = Date.now()): Promise<EmailImageLink[]> {
    const rows = await this.db.getRepository(EmailAttachment).find({
      select: { id: true, position: true },
      where: { reportId },
      order: { position: 'ASC' },
    });
    return Promise.all(
      rows.map(async (row) => ({ position: row.position, url: await this.linkFor(row.id, now) })),
    );
  }

  /** `PUBLIC_URL/attachments/:id?exp=&sig=`, valid for IMAGE_LINK_TTL_SECONDS. */
  async linkFor(id: string, now = Date.now()): Promise<string> {
    const exp = Math.floor(now / 1000) + IMAGE_LINK_TTL_SECONDS;
    const sig = await this.replayLinks.sign(signed(id), exp);
    return `${this.config.PUBLIC_URL}/attachments/${encodeURIComponent(id)}?exp=${exp}&sig=${sig}`;
  }

  /** Throws UnauthorizedError unless `sig` signs this attachment and `exp` is still ahead. */
  async verify(id: string, exp: unknown, sig: unknown, now = Date.now()): Promise<void> {
    if (exp === undefined && sig === undefined) {
      throw new UnauthorizedError('Open an attachment with the signed link its ticket shows.');
    }
    if (
      typeof exp !== 'string' ||
      typeof sig !== 'string' ||
      !EXP_PATTERN.test(exp) ||
      !SIG_PATTERN.test(sig)
    ) {
      throw new UnauthorizedError('This attachment link is incomplete or malformed.');
    }
    const expected = Buffer.from(await this.replayLinks.sign(signed(id), Number(exp)), 'base64url');
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedError('This attachment link is not valid.');
    }
    // Only a genuine link is told it expired.
    if (Number(exp) * 1000 <= now) {
      throw new UnauthorizedError(
        `This attachment link expired on ${new Date(Number(exp) * 1000).toISOString()}.`,
      );
    }
  }

  /** The stored image, or null when there is none by that id. */
  async image(id: string): Promise<StoredImage | null> {
    if (!UUID.test(id)) return null;
    const row = await this.db
      .getRepository(EmailAttachment)
      .createQueryBuilder('a')
      .select(['a.filename', 'a.contentType', 'a.content'])
      .where('a.id = :id', { id })
      .getOne();
    if (!row) return null;
    return {
      filename: row.filename,
      contentType: row.contentType as ServedImageType,
      content: row.content,
    };
  }
}
