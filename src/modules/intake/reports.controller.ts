import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentProject } from '../projects/current-project';
import { NotFoundError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import type { Project } from '../projects/entities/project.entity';
import { CreateReportDto } from './dto/create-report.dto';
import {
  ListReportsQuery,
  MessageDto,
  ReportListDto,
  StaffMessageDto,
} from './dto/report-list.dto';
import { IntakeService } from './intake.service';

/** A malformed id is as unknown as a missing one. */
function reportIdPipe(): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Report') });
}

@ApiTags('reports')
@ApiBearerAuth()
@Controller('v1/reports')
export class ReportsController {
  constructor(
    private readonly reports: IntakeService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'File a bug report', description: 'Answers once the report is stored.' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retries with the same key return the same report',
  })
  @ApiAcceptedResponse({ description: 'Stored and queued for triage' })
  async create(
    @CurrentProject() project: Project,
    @Body() dto: CreateReportDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { report, replayed, reporterToken } = await this.reports.create(
      project,
      dto,
      'api',
      idempotencyKey,
    );
    const statusUrl = `${this.config.PUBLIC_URL}/v1/reports/${report.id}`;
    res.setHeader('Location', statusUrl);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    return {
      id: report.id,
      status: report.status,
      statusUrl,
      // For the reporter's side of the conversation: GET/POST `${statusUrl}/messages`.
      reporterToken,
      messagesUrl: `${statusUrl}/messages`,
    };
  }

  @Get()
  @ApiOperation({
    summary: "The inbox: the project's reports, those waiting for a person first",
    description:
      'Then the rest; each group newest first. Filters combine; `counts` are per status over the same filters but the status one. Page on with `cursor` = `nextCursor`.',
  })
  @ApiOkResponse({ type: ReportListDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: details.fields names the filter' })
  list(@CurrentProject() project: Project, @Query() query: ListReportsQuery) {
    return this.reports.list(project.id, query);
  }

  @Get(':id')
  @ApiOperation({ summary: "A report's status and, once filed, its ticket" })
  get(@CurrentProject() project: Project, @Param('id', reportIdPipe()) id: string) {
    return this.reports.view(project.id, id);
  }

  @Post(':id/staff-messages')
  @ApiOperation({
    summary: 'Write to the reporter',
    description:
      'The message joins the conversation (GET /v1/reports/:id/messages and the widget show it, author `staff`) and is emailed to an email reporter where questions are (SMTP_URL and MAIL_FROM set). It asks nothing: the agent goes on as before.',
  })
  @ApiCreatedResponse({ type: MessageDto })
  staffMessage(
    @CurrentProject() project: Project,
    @Param('id', reportIdPipe()) id: string,
    @Body() dto: StaffMessageDto,
  ) {
    return this.reports.staffMessage(project.id, id, dto.body);
  }
}
