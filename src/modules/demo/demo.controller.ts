import { Controller, Get, Header, HttpCode, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth';
import { ReadsOwnBody } from '../../common/body-parsing';
import { ProjectsService } from '../projects/projects.service';
import { DEMO_SCRIPT, DEMO_STYLE, demoPageCsp, renderDemoPage } from './demo-page';

const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The demo app: public pages with nothing private in them (the widget key is public by design),
 * rate limited per address by the global guard like every public route. Off with DEMO_ENABLED=false.
 */
@ApiExcludeController()
@Public()
@Controller('demo')
export class DemoController {
  constructor(private readonly projects: ProjectsService) {}

  @Get(['', 'settings'])
  async page(@Res() res: Response): Promise<void> {
    const project = await this.projects.defaultProject();
    res
      .status(200)
      .set({
        ...PAGE_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': demoPageCsp(),
      })
      .send(
        renderDemoPage({
          widgetKey: project?.widgetKey ?? '',
          // Relative: the page works on whatever address Repro was opened at.
          widgetUrl: '/widget.js',
        }),
      );
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  script(): string {
    return DEMO_SCRIPT;
  }

  @Get('app.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  style(): string {
    return DEMO_STYLE;
  }

  /** Deliberate bug one: the export always fails (the demo app then never clears its spinner). */
  @Post('api/export')
  // It takes no body: the global reader leaves whatever comes unread.
  @ReadsOwnBody()
  @HttpCode(500)
  @Header('Cache-Control', 'no-store')
  exportCsv(): { error: { code: string; message: string } } {
    return { error: { code: 'EXPORT_FAILED', message: 'The export worker ran out of memory' } };
  }
}
