import { Body, Controller, Get, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  AdminOnlyForPeople,
  PeopleAuthError,
  PeopleErrorCode,
  SESSION_COOKIE,
} from '../../common/auth';
import { CurrentProject, CurrentUser, type Person } from './current-project';
import type { Project } from './entities/project.entity';
import { ProjectsService } from './projects.service';
import { CreatedProjectDto, CreateProjectDto, ProjectRefDto } from './settings/project.dto';

const ref = (p: Project): ProjectRefDto => ({ id: p.id, slug: p.slug, name: p.name });

@ApiTags('projects')
@ApiBearerAuth()
@ApiCookieAuth(SESSION_COOKIE)
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @AdminOnlyForPeople()
  @ApiOperation({
    summary:
      'The projects this caller reaches: every project for an admin, its own for an API key (members: 403 FORBIDDEN_ROLE; their projects are in GET /v1/session)',
  })
  @ApiOkResponse({ type: [ProjectRefDto] })
  async list(
    @CurrentProject() project: Project,
    @CurrentUser() person: Person | undefined,
  ): Promise<ProjectRefDto[]> {
    // Only admins get past the guard as people, and admins reach every project.
    if (!person) return [ref(project)];
    return (await this.projects.list()).map(ref);
  }

  @Post()
  @AdminOnlyForPeople()
  @ApiOperation({
    summary:
      "Create a project (an admin's session only) with its first API key, shown once; switch to it with X-Repro-Project: <slug>",
  })
  @ApiCreatedResponse({ type: CreatedProjectDto })
  @ApiForbiddenResponse({ description: 'FORBIDDEN_ROLE: a member, or an API key' })
  @ApiConflictResponse({ description: 'SLUG_TAKEN: another project has the slug' })
  async create(
    @CurrentUser() person: Person | undefined,
    @Body() dto: CreateProjectDto,
  ): Promise<CreatedProjectDto> {
    if (!person) {
      throw new PeopleAuthError(
        403,
        PeopleErrorCode.ForbiddenRole,
        'An API key belongs to one project and cannot create others; an admin signed in can.',
      );
    }
    const issued = await this.projects.createProjectWithKey(
      dto.name.trim(),
      dto.slug,
      `created by ${person.email}`,
    );
    return {
      ...ref(issued.project),
      widgetKey: issued.project.widgetKey,
      apiKey: { key: issued.key, prefix: issued.prefix },
    };
  }

  @Get('current')
  @ApiOperation({ summary: 'The project of this API key, and the state of its ticket destination' })
  current(@CurrentProject() project: Project) {
    return {
      id: project.id,
      name: project.name,
      slug: project.slug,
      widgetKey: project.widgetKey,
      // Pages elsewhere are refused (besides Repro's own); `repro widget --allowed-origins` sets them.
      widgetAllowedOrigins: project.widgetAllowedOrigins,
      tracker: {
        provider: project.trackerProvider,
        status: project.trackerError ? 'misconfigured' : 'ok',
        error: project.trackerError,
        since: project.trackerErrorAt?.toISOString() ?? null,
      },
    };
  }
}
