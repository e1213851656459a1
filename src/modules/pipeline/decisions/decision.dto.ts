import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SEVERITIES, type Severity } from '../../triage/engine/triage.types';

export const DECISION_ACTIONS = ['approve', 'approve_with_edits', 'merge', 'reject'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** A person's changes to the proposed ticket; what is left out stays as proposed. */
export class TicketEditsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  summary?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  steps?: string[];

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  expected?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  actual?: string;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(50, { each: true })
  labels?: string[];
}

export class DecisionDto {
  @ApiProperty({ enum: DECISION_ACTIONS })
  @IsIn(DECISION_ACTIONS)
  action!: DecisionAction;

  @ApiPropertyOptional({ description: 'For approve_with_edits', type: TicketEditsDto })
  @ValidateIf((d: DecisionDto) => d.action === 'approve_with_edits')
  @IsObject()
  @ValidateNested()
  @Type(() => TicketEditsDto)
  ticket?: TicketEditsDto;

  @ApiPropertyOptional({ description: 'For merge: the key of the ticket (ENG-42, #17, REPRO-3)' })
  @ValidateIf((d: DecisionDto) => d.action === 'merge')
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  target?: string;

  @ApiPropertyOptional({ description: 'Required for reject' })
  @ValidateIf((d: DecisionDto) => d.action === 'reject' || d.reason !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason?: string;
}
