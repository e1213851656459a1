import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentProject } from '../projects/current-project';
import type { Project } from '../projects/entities/project.entity';
import { ListTicketsQuery } from './dto/list-tickets.query';
import { TicketsService } from './tickets.service';

@ApiTags('tickets')
@ApiBearerAuth()
@Controller('v1/tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Get()
  @ApiOperation({ summary: "List the project's tickets, newest first" })
  list(@CurrentProject() project: Project, @Query() query: ListTicketsQuery) {
    return this.tickets.list(project.id, query.limit ?? 50, query.cursor);
  }

  @Get(':key')
  @ApiOperation({ summary: 'One ticket, with its body (built-in tracker) and linked reports' })
  get(@CurrentProject() project: Project, @Param('key') key: string) {
    return this.tickets.get(project.id, key);
  }
}
