import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentProject } from '../../projects/current-project';
import { NotFoundError } from '../../../common/errors';
import type { Project } from '../../projects/entities/project.entity';
import { DecisionDto } from './decision.dto';
import { DecisionsService } from './decisions.service';

const reportId = () => new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Report') });

@ApiTags('triage')
@ApiBearerAuth()
@Controller('v1/reports/:id')
export class DecisionsController {
  constructor(private readonly decisions: DecisionsService) {}

  @Get('trace')
  @ApiOperation({ summary: "Every step of the triage agent's work on the report" })
  trace(@CurrentProject() project: Project, @Param('id', reportId()) id: string) {
    return this.decisions.trace(project.id, id);
  }

  @Post('decision')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Decide a report waiting for a person: approve, approve with edits, merge, reject',
  })
  decide(
    @CurrentProject() project: Project,
    @Param('id', reportId()) id: string,
    @Body() dto: DecisionDto,
  ) {
    return this.decisions.decide(project.id, id, dto);
  }
}
