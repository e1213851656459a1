import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { SEVERITIES, type Severity } from '../../../common/severity';
import {
  EMAIL_QUESTIONS_TO,
  EMAIL_UNKNOWN_SENDERS,
  type EmailQuestionsTo,
  type EmailUnknownSenders,
  TRACKER_PROVIDERS,
  type TrackerProvider,
} from '../entities/project.entity';
import { type QuestionHints, TOOL_NAMES, type ToolName } from '../policy';

// ---- The agent policy ----------------------------------------------------------------------

class QuestionHintsDto implements QuestionHints {
  @ApiPropertyOptional({ example: 'Help → Show Logs' })
  logs?: string;

  @ApiPropertyOptional({ example: 'Help → About' })
  version?: string;

  @ApiPropertyOptional({ example: '4.2.1' })
  latest?: string;

  @ApiPropertyOptional()
  versioned?: boolean;
}

/** The policy's settings, as stored for a project or in effect. */
export class PolicyDto {
  @ApiProperty({ minimum: 0, maximum: 1 })
  autoFileThreshold!: number;

  @ApiProperty({ enum: SEVERITIES, isArray: true })
  approvalSeverities!: Severity[];

  @ApiProperty({ type: [String] })
  approvalTiers!: string[];

  @ApiProperty({ minimum: 0, maximum: 10 })
  maxQuestions!: number;

  @ApiProperty({ enum: TOOL_NAMES, isArray: true })
  allowedTools!: ToolName[];

  @ApiProperty()
  allowReporterEmail!: boolean;

  @ApiProperty({ enum: ['proceed', 'needs_human'] })
  onClarifyTimeout!: 'proceed' | 'needs_human';

  @ApiProperty({ type: QuestionHintsDto })
  questionHints!: QuestionHintsDto;
}

export class PolicySettingsDto {
  @ApiProperty({
    type: PolicyDto,
    description: "The project's own settings only (partial: the rest takes the defaults).",
  })
  project!: Partial<PolicyDto>;

  @ApiProperty({
    type: PolicyDto,
    description: "What the agent follows: the project's settings over the AGENT_* defaults.",
  })
  effective!: PolicyDto;
}

/**
 * PATCH /v1/projects/current/policy, as `repro policy` takes it: a setting left out stays as it
 * is, null returns it to the operator's default. Values are checked against the policy's schema
 * (VALIDATION_FAILED naming each setting); questionHints merge one by one.
 */
export class UpdatePolicyDto {
  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, maximum: 1 })
  @IsOptional()
  autoFileThreshold?: number | null;

  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true, nullable: true })
  @IsOptional()
  approvalSeverities?: Severity[] | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  approvalTiers?: string[] | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, maximum: 10 })
  @IsOptional()
  maxQuestions?: number | null;

  @ApiPropertyOptional({ enum: TOOL_NAMES, isArray: true, nullable: true })
  @IsOptional()
  allowedTools?: ToolName[] | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true })
  @IsOptional()
  allowReporterEmail?: boolean | null;

  @ApiPropertyOptional({ enum: ['proceed', 'needs_human'], nullable: true })
  @IsOptional()
  onClarifyTimeout?: 'proceed' | 'needs_human' | null;

  @ApiPropertyOptional({ type: QuestionHintsDto, nullable: true })
  @IsOptional()
  @IsObject()
  questionHints?: QuestionHints | null;
}

// ---- The tracker ---------------------------------------------------------------------------

class TrackerChoicesDto {
  @ApiPropertyOptional({ description: 'Linear team key' })
  team?: string;

  @ApiPropertyOptional({ type: [String] })
  labels?: string[];

  @ApiPropertyOptional({ description: 'Linear workflow state for new issues' })
  state?: string;

  @ApiPropertyOptional({ example: 'acme/app', description: 'GitHub owner/name' })
  repo?: string;

  @ApiPropertyOptional({ type: [String], description: 'GitHub logins' })
  assignees?: string[];
}

class TrackerAvailableDto {
  @ApiProperty()
  builtin!: boolean;

  @ApiProperty({ description: 'LINEAR_API_KEY is set' })
  linear!: boolean;

  @ApiProperty({ description: 'GITHUB_TOKEN is set' })
  github!: boolean;
}

export class TrackerSettingsDto {
  @ApiProperty({ enum: TRACKER_PROVIDERS })
  provider!: TrackerProvider;

  @ApiProperty({ type: TrackerChoicesDto, description: 'Non-secret destination choices.' })
  settings!: TrackerChoicesDto;

  @ApiProperty({
    description:
      "Whether the provider's credential is set (in the environment: LINEAR_API_KEY or GITHUB_TOKEN; the built-in tracker needs none). The credential itself is never shown.",
  })
  hasToken!: boolean;

  @ApiProperty({ type: TrackerAvailableDto, description: 'Which providers may be chosen here.' })
  available!: TrackerAvailableDto;

  @ApiProperty({ enum: ['ok', 'misconfigured'] })
  status!: 'ok' | 'misconfigured';

  @ApiProperty({ type: String, nullable: true, description: 'Why the destination refuses us' })
  error!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  since!: string | null;
}

/**
 * PATCH /v1/projects/current/tracker, as `repro tracker` takes it, plus the provider. A choice
 * left out stays, null returns it to the environment's default. Credentials are the
 * environment's (LINEAR_API_KEY, GITHUB_TOKEN): a token sent here is refused, never stored.
 */
export class UpdateTrackerDto {
  @ApiPropertyOptional({ enum: TRACKER_PROVIDERS })
  @IsOptional()
  @IsIn(TRACKER_PROVIDERS)
  provider?: TrackerProvider;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  team?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(100, { each: true })
  labels?: string[] | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  state?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'acme/app' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  repo?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(100, { each: true })
  assignees?: string[] | null;

  /** Refused with a message saying where credentials go; never echoed or logged. */
  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'Refused: tracker credentials are set in the environment (LINEAR_API_KEY, GITHUB_TOKEN).',
  })
  @IsOptional()
  token?: unknown;

  @ApiPropertyOptional({ writeOnly: true, description: 'Refused, as token.' })
  @IsOptional()
  apiKey?: unknown;
}

// ---- The widget ----------------------------------------------------------------------------

export class WidgetSettingsDto {
  @ApiProperty({ description: 'The public key the widget snippet carries.' })
  key!: string;

  @ApiProperty({ type: [String], description: 'Origins whose pages may use the key.' })
  allowedOrigins!: string[];

  @ApiProperty({ description: "Repro's own origin, always allowed (its demo page)." })
  ownOrigin!: string;

  @ApiProperty()
  showTicketKey!: boolean;

  @ApiProperty({ description: 'The script tag to add to your pages.' })
  snippet!: string;
}

/** PATCH /v1/projects/current/widget: what is left out stays as it is. */
export class UpdateWidgetDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['https://app.example.com'],
    description: 'The whole list (replaces it); [] allows only Repro’s own origin.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  allowedOrigins?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  showTicketKey?: boolean;
}

// ---- Email ---------------------------------------------------------------------------------

class EmailWebhookDto {
  @ApiProperty({ description: 'The URL to give the provider (its password not included).' })
  url!: string;

  @ApiProperty({ description: 'Whether its password, signing key or verification key is set.' })
  secretSet!: boolean;
}

class EmailWebhooksDto {
  @ApiProperty({ type: EmailWebhookDto })
  postmark!: EmailWebhookDto;

  @ApiProperty({ type: EmailWebhookDto })
  sendgrid!: EmailWebhookDto;

  @ApiProperty({ description: 'Whether SendGrid posts must carry its signature.' })
  sendgridSigned!: boolean;

  @ApiProperty({ type: EmailWebhookDto })
  mailgun!: EmailWebhookDto;
}

export class EmailSettingsDto {
  @ApiProperty({ type: [String], example: ['ana@acme.com', '@acme.com'] })
  staffSenders!: string[];

  @ApiProperty({ enum: EMAIL_UNKNOWN_SENDERS })
  unknownSenders!: EmailUnknownSenders;

  @ApiProperty({ enum: EMAIL_QUESTIONS_TO })
  questionsTo!: EmailQuestionsTo;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'customer.io': 'acct_42' },
  })
  domainAccounts!: Record<string, string>;

  @ApiProperty({ description: 'POST a raw mail here with the project API key.' })
  inboundUrl!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The SMTP listener’s address.' })
  smtpAddress!: string | null;

  @ApiProperty({ type: EmailWebhooksDto })
  webhooks!: EmailWebhooksDto;
}

/**
 * PATCH /v1/projects/current/email: the settings of `repro email` other than the providers'
 * secrets (those stay with the CLI). What is left out stays as it is.
 */
export class UpdateEmailDto {
  @ApiPropertyOptional({ type: [String], description: 'Addresses and @domains; [] clears.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(320, { each: true })
  staffSenders?: string[];

  @ApiPropertyOptional({ enum: EMAIL_UNKNOWN_SENDERS })
  @IsOptional()
  @IsIn(EMAIL_UNKNOWN_SENDERS)
  unknownSenders?: EmailUnknownSenders;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The whole map (replaces it); {} clears.',
  })
  @IsOptional()
  @IsObject()
  domainAccounts?: Record<string, string>;

  @ApiPropertyOptional({ enum: EMAIL_QUESTIONS_TO })
  @IsOptional()
  @IsIn(EMAIL_QUESTIONS_TO)
  questionsTo?: EmailQuestionsTo;
}

// ---- Everything ----------------------------------------------------------------------------

export class ProjectSettingsDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  slug!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: PolicySettingsDto })
  policy!: PolicySettingsDto;

  @ApiProperty({ type: TrackerSettingsDto })
  tracker!: TrackerSettingsDto;

  @ApiProperty({ type: WidgetSettingsDto })
  widget!: WidgetSettingsDto;

  @ApiProperty({ type: EmailSettingsDto })
  email!: EmailSettingsDto;
}

// ---- API keys ------------------------------------------------------------------------------

export class ApiKeyDto {
  @ApiProperty({ example: 'repro_a1b2c3d4e5', description: 'Names the key; not the key.' })
  prefix!: string;

  @ApiProperty({ type: String, nullable: true })
  label!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the key last authenticated a request (to the minute); null: never.',
  })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself, shown this once (only its hash is kept).' })
  key!: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI', description: 'What the key is for.' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  label!: string;
}
