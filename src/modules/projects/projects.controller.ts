import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentProject } from './current-project';
import type { Project } from './entities/project.entity';

@ApiTags('projects')
@ApiBearerAuth()
@Controller('v1/projects')
export class ProjectsController {
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
