import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { REPORT_STATUSES } from '../../reports/report-state-machine';

export const LIST_SOURCES = ['widget', 'email', 'api'] as const;

/** GET /v1/reports: the inbox's filters. */
export class ListReportsQuery {
  @ApiPropertyOptional({
    description: `Comma-separated statuses (${REPORT_STATUSES.join(', ')}); any when absent`,
    example: 'needs_human,filed',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  status?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "An account's id (ReportListItem.account.id)",
  })
  @IsOptional()
  @IsUUID()
  account?: string;

  @ApiPropertyOptional({ description: "The account's tier, whatever its case" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  tier?: string;

  @ApiPropertyOptional({ enum: LIST_SOURCES })
  @IsOptional()
  @IsIn(LIST_SOURCES)
  source?: (typeof LIST_SOURCES)[number];

  @ApiPropertyOptional({ format: 'date-time', description: 'Arrived at or after' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Arrived before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({
    description: 'Words in the description (all of them; "quoted phrase", -without, or)',
  })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page, with the same filters' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

class ListPersonDto {
  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;
}

class ListAccountDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: String, nullable: true })
  tier!: string | null;
}

class ListTicketDto {
  @ApiProperty({ example: 'REPRO-12' })
  key!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ enum: ['created', 'duplicate'] })
  relation!: string;
}

export class ReportListItemDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: REPORT_STATUSES })
  status!: string;

  @ApiProperty({ enum: LIST_SOURCES })
  source!: string;

  @ApiProperty({
    description:
      "The proposed ticket's title, else the description's first line (at most 120 characters)",
  })
  title!: string;

  @ApiProperty({ description: 'The description, at most 280 characters' })
  excerpt!: string;

  @ApiProperty({ type: ListPersonDto, nullable: true })
  reporter!: ListPersonDto | null;

  @ApiProperty({ type: ListAccountDto, nullable: true })
  account!: ListAccountDto | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: ListTicketDto, nullable: true })
  ticket!: ListTicketDto | null;

  @ApiProperty({ description: 'Waiting for a person (needs_human)' })
  needsPerson!: boolean;

  @ApiProperty({
    type: [String],
    description: 'Why it waits for a person, from the decision that handed it over',
  })
  reasons!: string[];
}

export class ReportListDto {
  @ApiProperty({ type: [ReportListItemDto] })
  items!: ReportListItemDto[];

  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' })
  nextCursor!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Reports per status over the same filters, the status filter aside',
    example: { needs_human: 2, filed: 40 },
  })
  counts!: Record<string, number>;
}

/** POST /v1/reports/:id/staff-messages */
export class StaffMessageDto {
  @ApiProperty({ example: 'Thanks, we found the cause and a fix ships tomorrow.' })
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(10_000)
  body!: string;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['agent', 'reporter', 'staff'] })
  author!: string;

  @ApiProperty()
  body!: string;

  @ApiProperty({ type: [String] })
  questions!: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}
