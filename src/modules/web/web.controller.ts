import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth';
import { DomainError, ErrorCode, NotFoundError } from '../../common/errors';
import { ASSET_NAME, WEB_APP_CSP, defaultWebDir, readBuilt } from './web-app';

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': WEB_APP_CSP,
};

/**
 * The triage web app's static files (dist/web, built by `npm run build`). Public because they
 * hold no data: every bit of data comes from the JSON API, behind the session cookie. Any
 * other path under /app is the app's own route, so it gets index.html.
 */
@ApiExcludeController()
@Public()
@Controller('app')
export class WebController {
  private readonly dir = defaultWebDir();

  @Get('assets/:file')
  async asset(@Param('file') file: string, @Res() res: Response): Promise<void> {
    if (!ASSET_NAME.test(file)) throw new NotFoundError(`App file ${file}`);
    const body = await readBuilt(this.dir, file);
    if (!body) throw new NotFoundError(`App file ${file}`);
    res
      .status(200)
      .set({
        ...COMMON_HEADERS,
        'Content-Type': file.endsWith('.js')
          ? 'text/javascript; charset=utf-8'
          : 'text/css; charset=utf-8',
        // Named by content: a new build is a new name.
        'Cache-Control': 'public, max-age=31536000, immutable',
      })
      .send(body);
  }

  @Get(['', '*path'])
  async page(@Res() res: Response): Promise<void> {
    const html = await readBuilt(this.dir, 'index.html');
    if (!html) {
      throw new DomainError(
        503,
        ErrorCode.Unavailable,
        'The web app is not built on this server: run `npm run build`.',
      );
    }
    res
      .status(200)
      .set({
        ...COMMON_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        // The page names the current build's files, so it is never cached.
        'Cache-Control': 'no-store',
      })
      .send(html);
  }
}
