import {
  Body,
  Controller,
  HttpCode,
  Optional,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RateLimits } from '../../common/rate-limit';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { CurrentProject } from '../projects/current-project';
import { DomainError, ErrorCode, ValidationFailedError } from '../../common/errors';
import type { Project } from '../projects/entities/project.entity';
import { IdentifySessionDto } from './dto/identify-session.dto';
import { withInflateMeter } from './inflate-meter';
import { RecordingQuota } from './recording-quota';
import { RecordingsService, SESSION_ID_PATTERN } from './recordings.service';

/** The chunk route reads its body as a stream; the global JSON parser must leave it alone. */
export const CHUNK_ROUTE = /^\/v1\/recordings\/[^/]+\/chunks\/?$/;

@ApiTags('recordings')
@ApiBearerAuth()
@Controller('v1/recordings')
export class RecordingsController {
  private readonly quota: RecordingQuota | null;

  constructor(
    private readonly recordings: RecordingsService,
    @InjectConfig() config: AppConfig,
    // Provided where HTTP is served; the worker, which loads this module too, has none.
    @Optional() limits?: RateLimits,
  ) {
    this.quota = limits ? new RecordingQuota(limits, config) : null;
  }

  @Put(':sessionId')
  @ApiOperation({
    summary: 'Name the person a streamed recording records',
    description:
      'An email (or your id) for the session: a mail from that address within EMAIL_RECORDING_WINDOW_MINUTES of the recording takes it as its evidence. Sessions no report takes are deleted after RECORDING_UNCLAIMED_SESSION_HOURS.',
  })
  identify(
    @CurrentProject() project: Project,
    @Param('sessionId') sessionId: string,
    @Body() dto: IdentifySessionDto,
  ) {
    return this.identifySession(project, sessionId, dto);
  }

  /** Shared with the widget's route: one implementation of the checks. */
  async identifySession(project: Project, sessionId: string, dto: IdentifySessionDto) {
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      throw new ValidationFailedError([
        { field: 'sessionId', message: 'must be 8-128 letters, digits, - or _' },
      ]);
    }
    if (!dto.reporter.email && !dto.reporter.id) {
      throw new ValidationFailedError([{ field: 'reporter', message: 'needs an email or an id' }]);
    }
    return this.recordings.identifySession(project.id, sessionId, {
      email: dto.reporter.email,
      externalId: dto.reporter.id,
    });
  }

  @Post(':sessionId/chunks')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload one chunk of a recording',
    description:
      'The body is a JSON array of rrweb events, plain or with Content-Encoding: gzip. Chunks are idempotent per (session, seq) and are assembled in seq order. 201 when stored, 200 for a retry of a stored chunk.',
  })
  @ApiConsumes('application/json')
  @ApiQuery({ name: 'seq', description: 'Sequence number of the chunk, from 0', type: Number })
  @ApiHeader({ name: 'Content-Encoding', required: false, description: 'gzip, or none' })
  async upload(
    @CurrentProject() project: Project,
    @Param('sessionId') sessionId: string,
    @Query('seq') seq: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const encoding = (req.header('content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      throw new DomainError(
        415,
        ErrorCode.UnsupportedMediaType,
        'Send chunks as JSON, plain or gzip.',
        { field: 'Content-Encoding' },
      );
    }
    if (seq === undefined || !/^\d{1,7}$/.test(seq)) {
      throw new ValidationFailedError([{ field: 'seq', message: 'must be a whole number from 0' }]);
    }
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      throw new ValidationFailedError([
        { field: 'sessionId', message: 'must be 8-128 letters, digits, - or _' },
      ]);
    }
    try {
      // Quotas before a byte is read; the meter bounds how far this chunk may inflate.
      if (!this.quota) throw new Error('Chunks are served without RateLimitModule');
      const meter = await this.quota.admitChunk(project.id, sessionId, req, res);
      const result = await this.recordings.addChunk(
        project.id,
        sessionId,
        Number(seq),
        withInflateMeter(req, meter),
        encoding === 'gzip',
      );
      if (result.duplicate) res.status(200);
      return result;
    } catch (error) {
      // The rest of a refused body is not read; close the connection rather than drain it.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw error;
    }
  }
}
