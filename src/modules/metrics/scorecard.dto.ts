import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ScorecardQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 52, default: 8 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(52)
  weeks?: number;
}

export class ScorecardWeekDto {
  @ApiProperty({ format: 'date-time', description: 'Monday 00:00 UTC' })
  weekStart!: string;

  @ApiProperty({ description: 'Reports that arrived this week (every figure is about them)' })
  reports!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Share filed or merged and never handed to a person',
  })
  autonomousRate!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Share handed to a person (needs_human) at least once',
  })
  handedToPersonRate!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median minutes from arrival to its first ticket (filed or merged)',
  })
  medianMinutesToTicket!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: "The agent's questions per report" })
  questionsPerReport!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Of the reports asked a question, the share whose reporter answered',
  })
  answeredRate!: number | null;

  @ApiProperty({ description: 'Reports merged into an existing ticket' })
  duplicatesMerged!: number;

  @ApiProperty({ description: 'Distinct customer accounts among the reports' })
  accountsAffected!: number;
}

export class ScorecardDto {
  @ApiProperty({ type: [ScorecardWeekDto], description: 'Oldest first; the current week last' })
  weeks!: ScorecardWeekDto[];
}
