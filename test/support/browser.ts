import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * How tests and benchmarks start Chromium: Debian's own (never a downloaded browser), headless,
 * with no background networking (this machine's network is closed).
 */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};

/** Builds the widget (`scripts/build-widget.mjs`, no type check) into `outDir`, or dist/widget. */
export function buildWidget(outDir?: string): void {
  execFileSync(
    process.execPath,
    ['scripts/build-widget.mjs', '--no-typecheck', ...(outDir ? ['--out', outDir] : [])],
    { cwd: ROOT },
  );
}
