import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { OpaqueObjectArray } from '../../../common/validation';
import { SESSION_ID_PATTERN } from '../../recordings/recordings.service';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class ReporterDto {
  @ApiPropertyOptional({ example: 'ana@acme.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ example: 'Ana Lima' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: "Your product's id for this user", example: 'user_8812' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  id?: string;
}

export class AccountDto {
  @ApiProperty({ description: "Your product's id for the customer account", example: 'acct_42' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  id!: string;

  @ApiPropertyOptional({ example: 'Acme Inc.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({
    description: "The account's plan or tier; a project's policy may route some tiers to a person",
    example: 'enterprise',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  tier?: string;
}

export class PageDto {
  @ApiPropertyOptional({ example: 'https://app.acme.com/settings/billing' })
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @MaxLength(4096)
  url?: string;

  @ApiPropertyOptional({ example: 'Billing · Acme' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  title?: string;
}

export class ViewportDto {
  @ApiProperty({ example: 1440 })
  @IsInt()
  @Min(0)
  width!: number;

  @ApiProperty({ example: 900 })
  @IsInt()
  @Min(0)
  height!: number;
}

export class ClientDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  userAgent?: string;

  @ApiPropertyOptional({ type: ViewportDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ViewportDto)
  viewport?: ViewportDto;

  @ApiPropertyOptional({ example: 'pt-BR' })
  @IsOptional()
  @IsString()
  @MaxLength(35)
  locale?: string;

  @ApiPropertyOptional({ example: 'America/Sao_Paulo' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;
}

const HEX_ID = /^[0-9a-fA-F-]{16,64}$/;

export class SentryDto {
  @ApiPropertyOptional({ description: 'Sentry event id (32 hex digits)' })
  @IsOptional()
  @Matches(HEX_ID, { message: 'eventId must be a Sentry id (hex)' })
  eventId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(HEX_ID, { message: 'replayId must be a Sentry id (hex)' })
  replayId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(HEX_ID, { message: 'traceId must be a trace id (hex)' })
  traceId?: string;
}

export class CreateReportDto {
  @ApiProperty({ description: "The reporter's own words", example: 'Export is broken' })
  @IsString()
  @IsNotEmpty()
  @Matches(/\S/, { message: 'description must not be blank' })
  @MaxLength(20_000)
  description!: string;

  @ApiPropertyOptional({ type: ReporterDto, description: 'Needs at least an email or an id' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReporterDto)
  reporter?: ReporterDto;

  @ApiPropertyOptional({ type: AccountDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AccountDto)
  account?: AccountDto;

  @ApiPropertyOptional({ type: PageDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PageDto)
  page?: PageDto;

  @ApiPropertyOptional({ type: ClientDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClientDto)
  client?: ClientDto;

  @ApiPropertyOptional({
    description: 'rrweb events recorded before the report, oldest first',
    type: 'array',
    items: { type: 'object' },
  })
  @OpaqueObjectArray()
  events?: Record<string, unknown>[];

  @ApiPropertyOptional({
    description:
      'Session id of a recording uploaded in chunks (POST /v1/recordings/:sessionId/chunks); instead of events',
    example: 'sess_8f2c1d9a7b',
  })
  @IsOptional()
  @IsString()
  @Matches(SESSION_ID_PATTERN, { message: 'sessionId must be 8-128 letters, digits, - or _' })
  sessionId?: string;

  @ApiPropertyOptional({ type: SentryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SentryDto)
  sentry?: SentryDto;
}

/** A reporter needs something to be known by. */
export function reporterIdentityProblem(reporter: ReporterDto | undefined): string | null {
  if (!reporter) return null;
  return reporter.email || reporter.id ? null : 'needs an email or an id';
}
