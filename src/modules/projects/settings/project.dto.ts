import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PROJECT_SLUG } from '../projects.service';

export class ProjectRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  slug!: string;

  @ApiProperty({ example: 'Acme' })
  name!: string;
}

class FirstApiKeyDto {
  @ApiProperty({ description: 'The key itself, shown this once (only its hash is kept).' })
  key!: string;

  @ApiProperty({ example: 'repro_a1b2c3d4e5' })
  prefix!: string;
}

export class CreatedProjectDto extends ProjectRefDto {
  @ApiProperty({ description: "The project's public widget key." })
  widgetKey!: string;

  @ApiProperty({ type: FirstApiKeyDto, description: "The project's first API key." })
  apiKey!: FirstApiKeyDto;
}

/** POST /v1/projects (admins): a new project, reached with X-Repro-Project: <slug>. */
export class CreateProjectDto {
  @ApiProperty({ example: 'Acme mobile' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;

  @ApiProperty({
    example: 'acme-mobile',
    pattern: PROJECT_SLUG.source,
    description: '2 to 40 lower-case letters, digits or dashes, not starting with a dash.',
  })
  @IsString()
  @Matches(PROJECT_SLUG, {
    message:
      'must be 2 to 40 lower-case letters, digits or dashes, starting with a letter or digit',
  })
  slug!: string;
}
