import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Public } from '../../common/auth';
import { DomainError, ErrorCode, NotFoundError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';

/** What scripts/build-widget.mjs writes beside the files. */
interface WidgetManifest {
  version: string;
  iife: string;
  esm: string;
  integrity?: string;
}

const VERSIONED = /^(.+)\.(js|mjs)$/;
const SHORT_CACHE = 'public, max-age=300';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The built widget from WIDGET_DIR: `/widget.js` (the latest, cached for minutes) and
 * `/widget/<version>.js|.mjs` (that build only, cached for good). Public, limited per address.
 */
@ApiExcludeController()
@Controller()
@Public()
export class WidgetAssetsController {
  /** File contents by path and version: a rebuild (a new version) is read afresh. */
  private readonly files = new Map<string, Buffer>();

  constructor(@InjectConfig() private readonly config: AppConfig) {}

  @Get('widget.js')
  async latest(@Res() res: Response): Promise<void> {
    const manifest = await this.manifest();
    this.send(res, await this.file(manifest, manifest.iife), SHORT_CACHE);
  }

  @Get('widget/:file')
  async versioned(@Param('file') file: string, @Res() res: Response): Promise<void> {
    const [, version, extension] = VERSIONED.exec(file) ?? [];
    const manifest = await this.manifest();
    if (version !== manifest.version) {
      throw new NotFoundError(`Widget build "${file}" (this server has ${manifest.version})`);
    }
    const name = extension === 'mjs' ? manifest.esm : manifest.iife;
    this.send(res, await this.file(manifest, name), IMMUTABLE);
  }

  private send(res: Response, body: Buffer, cacheControl: string): void {
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.send(body);
  }

  /** Read on every request (it is small), so a rebuild is served without a restart. */
  private async manifest(): Promise<WidgetManifest> {
    let text: string;
    try {
      text = await readFile(join(this.config.WIDGET_DIR, 'manifest.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notBuilt();
      throw error;
    }
    const manifest = JSON.parse(text) as Partial<WidgetManifest>;
    if (!manifest.version || !manifest.iife || !manifest.esm) {
      throw new Error(`${join(this.config.WIDGET_DIR, 'manifest.json')} lacks version/iife/esm`);
    }
    return manifest as WidgetManifest;
  }

  private async file(manifest: WidgetManifest, name: string): Promise<Buffer> {
    const key = `${manifest.version}/${name}`;
    const cached = this.files.get(key);
    if (cached) return cached;
    let body: Buffer;
    try {
      // The manifest names files beside it; a name with a path in it is not one of them.
      if (name.includes('/') || name.includes('\\')) throw new Error(`Bad file name ${name}`);
      body = await readFile(join(this.config.WIDGET_DIR, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notBuilt();
      throw error;
    }
    this.files.set(key, body);
    return body;
  }
}

function notBuilt(): DomainError {
  return new DomainError(
    503,
    ErrorCode.WidgetNotBuilt,
    'The widget script is not built on this server: run `npm run build` (or set WIDGET_DIR).',
  );
}
