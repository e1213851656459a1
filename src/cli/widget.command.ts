import type { CliIo } from './io';
import { ValidationFailedError } from '../common/errors';
import { loadConfig } from '../config/config.schema';
import { DEFAULT_PROJECT_SLUG } from '../modules/projects/projects.service';
import { parseOrigins } from '../modules/widget/origins';
import { yesNo } from './options';
import { withProjects } from './with-projects';

export interface WidgetOptions {
  project?: string;
  allowedOrigins?: string;
  showTicketKey?: string;
}

/** `https://a,https://b` as origins, `none` as none; a refusal names what is not an origin. */
function allowedOriginsOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return [];
  const { origins, invalid } = parseOrigins(value);
  if (invalid.length || !origins.length) {
    throw new ValidationFailedError(
      (invalid.length ? invalid : [value]).map((entry) => ({
        field: '--allowed-origins',
        message: `"${entry}" is not an origin like https://app.example.com (scheme, host, port; no path)`,
      })),
      'Allowed origins must be origins, comma-separated, or none.',
    );
  }
  return origins;
}

/**
 * `repro widget`: sets a project's allowed origins and whether the widget shows the ticket key,
 * then prints its widget key, those settings and the script tag to paste into the app.
 */
export async function widgetCommand(options: WidgetOptions, io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
  const allowedOrigins = allowedOriginsOption(options.allowedOrigins);
  const showTicketKey = yesNo('--show-ticket-key', options.showTicketKey);
  const project = await withProjects(config, (projects) =>
    projects.updateWidgetSettings(options.project ?? DEFAULT_PROJECT_SLUG, {
      allowedOrigins,
      showTicketKey,
    }),
  );
  const own = new URL(config.PUBLIC_URL).origin;
  const origins = project.widgetAllowedOrigins;
  io.out(
    [
      `Project: ${project.slug}`,
      `Widget key: ${project.widgetKey}`,
      `Allowed origins: ${origins.length ? origins.join(', ') : 'none'} (and ${own}, Repro's own)`,
      `Show ticket key: ${project.widgetShowTicketKey ? 'yes' : 'no'}`,
      '',
      'Add this to your pages:',
      `<script src="${config.PUBLIC_URL}/widget.js" data-repro-key="${project.widgetKey}" async></script>`,
      '',
    ].join('\n'),
  );
  if (!origins.length) {
    io.err(
      `No origins allowed yet: pages elsewhere than ${own} are refused. Add yours with --allowed-origins https://app.example.com\n`,
    );
  }
}
