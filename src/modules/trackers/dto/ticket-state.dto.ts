import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { BUILTIN_STATES, type BuiltinState } from '../builtin/builtin.tracker';

/** PATCH /v1/tickets/:key: a person resolves, closes or reopens a built-in ticket. */
export class TicketStateDto {
  @ApiProperty({ enum: BUILTIN_STATES })
  @IsIn(BUILTIN_STATES)
  state!: BuiltinState;
}

class PriorityDto {
  @ApiProperty({ enum: ['urgent', 'high', 'medium', 'low'] })
  level!: string;

  @ApiProperty({ type: [String] })
  reasons!: string[];
}

class PersonDto {
  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;
}

export class AccountDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: String, nullable: true })
  tier!: string | null;
}

class CommentDto {
  @ApiProperty({ description: 'Markdown' })
  body!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

class LinkedReportDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['created', 'duplicate'] })
  relation!: string;

  @ApiProperty({ format: 'date-time' })
  linkedAt!: string;

  @ApiProperty({ description: "The report's status now (resolved, closed, filed, duplicate...)" })
  status!: string;

  @ApiProperty({ type: PersonDto, nullable: true })
  reporter!: PersonDto | null;

  @ApiProperty({ type: AccountDto, nullable: true })
  account!: AccountDto | null;
}

export class TicketViewDto {
  @ApiProperty({ example: 'REPRO-12' })
  key!: string;

  @ApiProperty({ description: "The ticket's page: the web app's for a built-in ticket" })
  url!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty({ description: 'Built-in: open, resolved or closed; else the tracker’s own name' })
  state!: string;

  @ApiProperty({ enum: ['builtin', 'linear', 'github'] })
  provider!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty()
  reportCount!: number;

  @ApiProperty({ type: PriorityDto, nullable: true })
  priority!: PriorityDto | null;
}

export class TicketDetailDto extends TicketViewDto {
  @ApiProperty({ type: String, nullable: true, description: 'Markdown; built-in tickets only' })
  body!: string | null;

  @ApiProperty()
  accountCount!: number;

  @ApiProperty({ type: [CommentDto] })
  comments!: CommentDto[];

  @ApiProperty({ type: [LinkedReportDto] })
  reports!: LinkedReportDto[];

  @ApiProperty({ type: [AccountDto] })
  accounts!: AccountDto[];
}

export class TicketListDto {
  @ApiProperty({ type: [TicketViewDto] })
  tickets!: TicketViewDto[];

  @ApiPropertyOptional({ type: String, nullable: true })
  nextCursor!: string | null;
}
