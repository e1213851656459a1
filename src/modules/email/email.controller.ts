import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ReadsOwnBody } from '../../common/body-parsing';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { CurrentProject } from '../projects/current-project';
import type { Project } from '../projects/entities/project.entity';
import { readRawEmail } from './email-body';
import { EmailService } from './email.service';

@ApiTags('email')
@ApiBearerAuth()
@Controller('v1/emails')
export class EmailController {
  constructor(
    private readonly email: EmailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  // The body is a raw mail, read here (body-parser's raw reader) after the API key and its rate
  // limit passed; the global JSON reader leaves this route alone.
  @ReadsOwnBody()
  @ApiConsumes('message/rfc822')
  @ApiOperation({
    summary: 'Report by email: post a raw mail',
    description:
      'The raw MIME message (Content-Type: message/rfc822), plain or with Content-Encoding: gzip (or deflate, br). A forward from a staff sender becomes a report about the original customer; other mail is the sender’s report (or refused, per the project); a reply to Repro’s mail answers its report; automated mail is kept and ignored. Answers once the mail (and its report) are stored; the same mail delivered again answers the same report.',
  })
  @ApiHeader({
    name: 'Content-Encoding',
    required: false,
    description: 'gzip, deflate, br, or none',
  })
  @ApiAcceptedResponse({ description: 'Stored; the report is queued for triage' })
  async receive(
    @CurrentProject() project: Project,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    let raw: Buffer;
    try {
      raw = await readRawEmail(req, res, this.config.EMAIL_MAX_BYTES);
    } catch (error) {
      // The rest of a refused body is not read; close the connection rather than drain it.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw error;
    }
    const result = await this.email.receive(project, raw);
    const statusUrl = result.reportId
      ? `${this.config.PUBLIC_URL}/v1/reports/${result.reportId}`
      : null;
    if (statusUrl) res.setHeader('Location', statusUrl);
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return {
      id: result.reportId,
      status: result.reportStatus ?? result.email.status,
      statusUrl,
      email: result.email,
    };
  }
}
