import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class ReplyDto {
  @ApiProperty({ example: 'I was changing the card number; it said "Something went wrong".' })
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(10_000)
  body!: string;

  @ApiPropertyOptional({ enum: ['api', 'widget'], default: 'api' })
  @IsOptional()
  @IsIn(['api', 'widget'])
  channel?: 'api' | 'widget';
}
