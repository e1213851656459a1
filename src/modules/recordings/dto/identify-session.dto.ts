import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';

export class SessionReporterDto {
  @ApiPropertyOptional({ example: 'ana@acme.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ description: "Your product's id for this user", example: 'user_8812' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  id?: string;
}

/** `PUT /v1/recordings/:sessionId`: who the streamed session records. */
export class IdentifySessionDto {
  @ApiProperty({ type: SessionReporterDto })
  @ValidateNested()
  @Type(() => SessionReporterDto)
  reporter!: SessionReporterDto;
}
