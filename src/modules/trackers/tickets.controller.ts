import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentProject } from '../projects/current-project';
import type { Project } from '../projects/entities/project.entity';
import { ListTicketsQuery } from './dto/list-tickets.query';
import { TicketDetailDto, TicketListDto, TicketStateDto } from './dto/ticket-state.dto';
import { TicketsService } from './tickets.service';

@ApiTags('tickets')
@ApiBearerAuth()
@Controller('v1/tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Get()
  @ApiOperation({ summary: "List the project's tickets, newest first" })
  @ApiOkResponse({ type: TicketListDto })
  list(@CurrentProject() project: Project, @Query() query: ListTicketsQuery) {
    return this.tickets.list(project.id, query.limit ?? 50, query.cursor);
  }

  @Get(':key')
  @ApiOperation({
    summary: 'One ticket, with its body (built-in tracker), linked reports and their accounts',
  })
  @ApiOkResponse({ type: TicketDetailDto })
  get(@CurrentProject() project: Project, @Param('key') key: string) {
    return this.tickets.get(project.id, key);
  }

  @Patch(':key')
  @ApiOperation({
    summary: 'Resolve, close or reopen a built-in ticket',
    description:
      'Its reports follow as they do when a Linear or GitHub ticket changes: resolved, closed, or back to filed (duplicate) on reopening, each change in the report’s history.',
  })
  @ApiOkResponse({ type: TicketDetailDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: no such ticket in this project' })
  @ApiConflictResponse({
    description: 'TICKET_NOT_BUILTIN: a Linear or GitHub ticket (details.url links to it)',
  })
  setState(
    @CurrentProject() project: Project,
    @Param('key') key: string,
    @Body() dto: TicketStateDto,
  ) {
    return this.tickets.setBuiltinState(project.id, key, dto.state);
  }
}
