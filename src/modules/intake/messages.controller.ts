import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth';
import { CheckThenReadBody } from '../../common/body-parsing';
import { NotFoundError } from '../../common/errors';
import { ConversationGuard } from '../conversation/conversation.guard';
import { ConversationService } from '../conversation/conversation.service';
import { PipelineService } from '../pipeline/pipeline.service';
import { TriageService } from '../triage/triage.service';
import { ReplyDto } from './dto/reply.dto';

const reportId = () => new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Report') });

/**
 * The reporter's side of the conversation. Authenticated by the reporter's token returned at
 * intake (`reporterToken`) or by the project's API key (support staff answering for them).
 */
@ApiTags('conversation')
@ApiBearerAuth()
@Controller('v1/reports/:id/messages')
@Public()
@CheckThenReadBody(ConversationGuard)
export class MessagesController {
  constructor(
    private readonly conversation: ConversationService,
    private readonly triage: TriageService,
    private readonly pipeline: PipelineService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The agent's questions and the reporter's answers" })
  async list(@Param('id', reportId()) id: string) {
    const closedAt = (await this.triage.record(id))?.clarifyClosedAt ?? null;
    return this.conversation.view(id, closedAt);
  }

  @Post()
  @ApiOperation({ summary: "The reporter's answer; the agent goes on with it" })
  async reply(@Param('id', reportId()) id: string, @Body() dto: ReplyDto) {
    const message = await this.pipeline.answered(id, dto.body, dto.channel ?? 'api');
    return { message, status: 'clarifying' };
  }
}
