import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { PERSON_ROLES } from '../entities/user.entity';
import type { PersonRole } from '../../projects/current-project';
import { MAX_PASSWORD_LENGTH } from '../password';

export class SignInDto {
  @ApiProperty({ example: 'ana@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  email!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password!: string;
}

export class SessionUserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ enum: PERSON_ROLES })
  role!: PersonRole;
}

export class ProjectRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  slug!: string;

  @ApiProperty()
  name!: string;
}

export class SessionDto {
  @ApiProperty({ type: SessionUserDto })
  user!: SessionUserDto;

  @ApiProperty({ description: 'Send it as X-CSRF-Token on every write with the session cookie.' })
  csrfToken!: string;

  @ApiProperty({
    type: [ProjectRefDto],
    description: 'Projects this person reaches, first is the default.',
  })
  projects!: ProjectRefDto[];

  @ApiProperty({
    format: 'date-time',
    description: 'When the session ends at the latest (it ends sooner when left idle).',
  })
  expiresAt!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ enum: PERSON_ROLES })
  role!: PersonRole;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty()
  disabled!: boolean;

  @ApiProperty({ type: [ProjectRefDto], description: 'Every project, for an admin.' })
  projects!: ProjectRefDto[];
}

export class CreatedUserDto extends UserDto {
  @ApiProperty({ description: 'The generated password: shown this once, never again.' })
  password!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'ana@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  email!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiProperty({ enum: PERSON_ROLES })
  @IsIn(PERSON_ROLES)
  role!: PersonRole;

  @ApiPropertyOptional({ type: [String], description: 'Slugs of the projects a member reaches.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  projects?: string[];
}

/** PATCH /v1/users/:id: what an admin changes about a person. */
export class UpdateUserDto {
  @ApiProperty({ description: 'true turns the person off (their sessions end), false back on' })
  @IsBoolean()
  disabled!: boolean;
}

export class PasswordResetDto {
  @ApiProperty({ type: UserDto })
  user!: UserDto;

  @ApiProperty({ description: 'The new generated password: shown this once, never again.' })
  password!: string;
}
