import type { CliIo } from './io';
import { ValidationFailedError } from '../common/errors';
import { loadConfig } from '../config/config.schema';
import { DEFAULT_PROJECT_SLUG } from '../modules/projects/projects.service';
import { parseOrigins } from '../common/origins';
import { yesNo } from './options';
import { withProjects } from './with-projects';

export interface WidgetOptions {
  project?: string;
  allowedOrigins?: string;
  showTicketKey?: string;
  rotateKey?: boolean;
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
 * issues a new widget key on --rotate-key, then prints the key, those settings and the script tag
 * to paste into the app.
 */
export async function widgetCommand(options: WidgetOptions, io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
  const allowedOrigins = allowedOriginsOption(options.allowedOrigins);
  const showTicketKey = yesNo('--show-ticket-key', options.showTicketKey);
  const slug = options.project ?? DEFAULT_PROJECT_SLUG;
  const { project, oldKey } = await withProjects(config, async (projects) => {
    const updated = await projects.updateWidgetSettings(slug, { allowedOrigins, showTicketKey });
    if (!options.rotateKey) return { project: updated, oldKey: null };
    return { project: await projects.rotateWidgetKey(slug), oldKey: updated.widgetKey };
  });
  const own = new URL(config.PUBLIC_URL).origin;
  const origins = project.widgetAllowedOrigins;
  io.out(
    [
      `Project: ${project.slug}`,
      `Widget key: ${project.widgetKey}${oldKey ? ` (new: ${oldKey} is refused from now on)` : ''}`,
      `Allowed origins: ${origins.length ? origins.join(', ') : 'none'} (and ${own}, Repro's own)`,
      `Show ticket key: ${project.widgetShowTicketKey ? 'yes' : 'no'}`,
      '',
      'Add this to your pages:',
      `<script src="${config.PUBLIC_URL}/widget.js" data-repro-key="${project.widgetKey}" async></script>`,
      '',
    ].join('\n'),
  );
  if (oldKey) {
    // No grace period: a public key is rotated because it is being abused, and until the pages
    // carry the new snippet the old one's answers are a readable 401, not a silent failure.
    io.err(
      'The old widget key is refused from now on: deploy the snippet above to your pages (pages loaded before will show an error until reloaded).\n',
    );
  }
  if (!origins.length) {
    io.err(
      `No origins allowed yet: pages elsewhere than ${own} are refused. Add yours with --allowed-origins https://app.example.com\n`,
    );
  }
}
