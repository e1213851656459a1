import { UAParser } from 'ua-parser-js';
import type { AnalyzerContext, Environment } from './types';

/** Browser, OS and device from the user agent, plus what the client told us. */
export function describeEnvironment(
  context: AnalyzerContext,
  viewport: { width: number; height: number } | null,
): Environment {
  const userAgent = context.userAgent ?? null;
  const parsed = userAgent ? new UAParser(userAgent).getResult() : null;
  const device = parsed?.device.type
    ? [parsed.device.type, parsed.device.vendor, parsed.device.model].filter(Boolean).join(' ')
    : parsed
      ? 'desktop'
      : null;
  return {
    userAgent,
    browser: parsed?.browser.name ?? null,
    browserVersion: parsed?.browser.version ?? null,
    os: parsed?.os.name ?? null,
    osVersion: parsed?.os.version ?? null,
    device,
    viewport: context.viewport ?? viewport,
    locale: context.locale ?? null,
    timezone: context.timezone ?? null,
  };
}
