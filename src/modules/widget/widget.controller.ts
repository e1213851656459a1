import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags, PickType } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/auth';
import { CheckThenReadBody, ReadsOwnBody } from '../../common/body-parsing';
import { NotFoundError } from '../../common/errors';
import { CreateReportDto } from '../intake/dto/create-report.dto';
import { ReplyDto } from '../intake/dto/reply.dto';
import { IntakeService } from '../intake/intake.service';
import { PipelineService } from '../pipeline/pipeline.service';
import type { Project } from '../projects/entities/project.entity';
import { IdentifySessionDto } from '../recordings/dto/identify-session.dto';
import { RecordingsController } from '../recordings/recordings.controller';
import { WidgetGuard, WidgetReporterGuard } from './widget.guards';
import { WidgetProject } from './widget-request';
import { WidgetService } from './widget.service';

const reportId = () => new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Report') });

/** The reporter's answer from the widget: its text only (the channel is the widget). */
class WidgetReplyDto extends PickType(ReplyDto, ['body'] as const) {}

/**
 * The in-app widget's public API, under the project's public key (`pk_…`): it can create
 * reports, upload their recordings and converse about the reports it created, nothing else.
 * WidgetAccessMiddleware checks the key, the origin and the key's limit before any of this.
 */
@ApiTags('widget')
@Controller('v1/widget/:key')
@Public()
export class WidgetController {
  constructor(
    private readonly intake: IntakeService,
    private readonly pipeline: PipelineService,
    private readonly widget: WidgetService,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Post('reports')
  @HttpCode(202)
  @CheckThenReadBody(WidgetGuard)
  @ApiOperation({
    summary: 'File a bug report from the widget',
    description:
      'The body of POST /v1/reports, plain or with Content-Encoding: gzip. Stored with source widget.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retries answer the same report',
  })
  async create(
    @WidgetProject() project: Project,
    @Body() dto: CreateReportDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { report, replayed, reporterToken } = await this.intake.create(
      project,
      dto,
      'widget',
      idempotencyKey,
    );
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return { id: report.id, status: report.status, reporterToken };
  }

  @Post('recordings/:sessionId/chunks')
  @HttpCode(201)
  @ReadsOwnBody()
  @UseGuards(WidgetGuard)
  @ApiOperation({
    summary: 'Upload one chunk of a recording from the widget',
    description: 'As POST /v1/recordings/:sessionId/chunks, with the same limits and quotas.',
  })
  upload(
    @WidgetProject() project: Project,
    @Param('sessionId') sessionId: string,
    @Query('seq') seq: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    // The API's own chunk route, called as it is: one implementation of its checks and quotas.
    const chunks = this.moduleRef.get(RecordingsController, { strict: false });
    return chunks.upload(project, sessionId, seq, req, res);
  }

  @Put('recordings/:sessionId')
  @CheckThenReadBody(WidgetGuard)
  @ApiOperation({
    summary: 'Name the person a streamed widget recording records',
    description:
      'As PUT /v1/recordings/:sessionId (the widget calls it when identify() named them).',
  })
  identify(
    @WidgetProject() project: Project,
    @Param('sessionId') sessionId: string,
    @Body() dto: IdentifySessionDto,
  ) {
    const chunks = this.moduleRef.get(RecordingsController, { strict: false });
    return chunks.identifySession(project, sessionId, dto);
  }

  @Get('reports/:id')
  @UseGuards(WidgetGuard, WidgetReporterGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: "Where the reporter's report stands, and the agent's questions" })
  view(@WidgetProject() project: Project, @Param('id', reportId()) id: string) {
    return this.widget.view(project, id);
  }

  @Post('reports/:id/messages')
  @HttpCode(201)
  @CheckThenReadBody(WidgetGuard, WidgetReporterGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: "The reporter's answer from the widget; the agent goes on with it" })
  async reply(@Param('id', reportId()) id: string, @Body() dto: WidgetReplyDto) {
    const message = await this.pipeline.answered(id, dto.body, 'widget');
    return { message, status: 'clarifying' };
  }
}
