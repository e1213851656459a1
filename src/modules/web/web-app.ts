import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/**
 * The web app's CSP: its own script and stylesheet only, frames (the replay) from its own
 * origin, and nobody may frame the app itself.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "frame-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What scripts/build-web.mjs writes beside index.html. */
export interface WebManifest {
  js: string;
  css: string;
}

/** Only the names the build writes: nothing with a path in it is ever read. */
export const ASSET_NAME = /^app-[0-9a-f]{10}\.(js|css)$/;

/** `<repo root>/dist/web`, from the source tree (src/modules/web) or the build (dist/src/…). */
export function defaultWebDir(): string {
  const base = resolve(__dirname, '..', '..', '..');
  return basename(base) === 'dist' ? join(base, 'web') : join(base, 'dist', 'web');
}

/** Reads a file of the build, or null when it is not there (not built). */
export async function readBuilt(dir: string, name: string): Promise<Buffer | null> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
