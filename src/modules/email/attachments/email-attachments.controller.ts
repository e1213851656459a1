import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../../common/auth';
import { NotFoundError } from '../../../common/errors';
import { EmailAttachmentsService } from './email-attachments.service';
import { inlineDisposition } from './image-attachments';

/** A browser may keep an image this long at most (it never changes), and never past its link. */
const MAX_AGE_SECONDS = 24 * 60 * 60;

@ApiTags('email')
// Not the API key: trackers (Linear, GitHub's image proxy) fetch these from a signed link.
@Public()
@Controller('attachments')
export class EmailAttachmentsController {
  constructor(private readonly attachments: EmailAttachmentsService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'One image attached to a mail that made a report',
    description:
      "Needs the signed link put into the report's ticket (`exp` and `sig`); 401 UNAUTHORIZED for a missing, tampered or expired one. Served as the stored PNG, JPEG, GIF or WebP, sandboxed.",
  })
  @ApiProduces('image/png', 'image/jpeg', 'image/gif', 'image/webp')
  @ApiQuery({ name: 'exp', required: true, description: 'Expiry of the signed link (unix s)' })
  @ApiQuery({ name: 'sig', required: true, description: 'Signature of the signed link' })
  async image(
    @Param('id') id: string,
    @Query('exp') exp: unknown,
    @Query('sig') sig: unknown,
    @Res() res: Response,
  ): Promise<void> {
    // The signature first: without one, nobody learns whether an id exists.
    await this.attachments.verify(id, exp, sig);
    const image = await this.attachments.image(id);
    if (!image) throw new NotFoundError('Attachment');
    const left = Math.floor(Number(exp) - Date.now() / 1000);
    res
      .status(200)
      .set({
        'Content-Type': image.contentType,
        'Content-Length': String(image.content.length),
        'Content-Disposition': inlineDisposition(image.filename, image.contentType),
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': `private, max-age=${Math.max(0, Math.min(MAX_AGE_SECONDS, left))}`,
        // The URL carries the signature: never sent on as a referrer, never indexed.
        'Referrer-Policy': 'no-referrer',
        'X-Robots-Tag': 'noindex, nofollow',
      })
      .end(image.content);
  }
}
