import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentProject } from '../projects/current-project';
import type { Project } from '../projects/entities/project.entity';
import { ScorecardDto, ScorecardQuery } from './scorecard.dto';
import { ScorecardService } from './scorecard.service';

@ApiTags('scorecard')
@ApiBearerAuth()
@Controller('v1/scorecard')
export class ScorecardController {
  constructor(private readonly scorecard: ScorecardService) {}

  @Get()
  @ApiOperation({
    summary: "The seed's measures per week (Monday 00:00 UTC), for the reports that arrived in it",
    description: 'The current week is also on /metrics as the repro_scorecard_* gauges.',
  })
  @ApiOkResponse({ type: ScorecardDto })
  async get(@CurrentProject() project: Project, @Query() query: ScorecardQuery) {
    return { weeks: await this.scorecard.weeks(project.id, query.weeks ?? 8) };
  }
}
