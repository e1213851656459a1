import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { CliIo } from './io';
import { type AppConfig, loadConfig } from '../config/config.schema';
import { dataSourceOptions } from '../database/data-source';
import { prepareDatabase } from '../database/prepare-database';
import { NotificationWebhooksService } from '../modules/notifications/notification-webhooks.service';
import { DEFAULT_PROJECT_SLUG, ProjectsService } from '../modules/projects/projects.service';

export interface WebhooksAddOptions {
  url: string;
  /** Comma-separated; none means every event. */
  events?: string;
  project?: string;
}

async function withWebhooks<T>(
  config: AppConfig,
  action: (webhooks: NotificationWebhooksService, projects: ProjectsService) => Promise<T>,
): Promise<T> {
  await prepareDatabase(config);
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 2 } });
  await db.initialize();
  try {
    return await action(new NotificationWebhooksService(db, config), new ProjectsService(db));
  } finally {
    await db.destroy();
  }
}

/** `repro webhooks add`: prints the endpoint's whsec_ secret on stdout (shown once). */
export async function addWebhookCommand(options: WebhooksAddOptions, io: CliIo): Promise<void> {
  const events = (options.events ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const created = await withWebhooks(loadConfig(io.env), async (webhooks, projects) => {
    const project = await projects.findBySlug(options.project ?? DEFAULT_PROJECT_SLUG);
    return webhooks.createEndpoint(project.id, options.url, events);
  });
  io.out(`${created.secret}\n`);
  io.err(
    `Created webhook ${created.endpoint.id} to ${created.endpoint.url} for ` +
      `${events.length ? events.join(', ') : 'every event'}. Its signing secret (above) is not shown again.\n`,
  );
}

/** `repro webhooks list`: endpoints, their state and latest deliveries; never a secret. */
export async function listWebhooksCommand(options: { project?: string }, io: CliIo): Promise<void> {
  const listing = await withWebhooks(loadConfig(io.env), async (webhooks, projects) => {
    const project = await projects.findBySlug(options.project ?? DEFAULT_PROJECT_SLUG);
    return webhooks.listEndpoints(project.id);
  });
  if (!listing.length) io.out('No webhook endpoints.\n');
  for (const { endpoint, lastDeliveries } of listing) {
    const state = endpoint.disabledAt
      ? `disabled ${endpoint.disabledAt.toISOString()}: ${endpoint.disabledReason ?? ''}`
      : endpoint.consecutiveFailures
        ? `enabled, ${endpoint.consecutiveFailures} failed attempts in a row`
        : 'enabled';
    const events = endpoint.events.length ? endpoint.events.join(',') : 'all events';
    io.out(`${endpoint.id}\t${endpoint.url}\t${events}\t${state}\n`);
    for (const d of lastDeliveries) {
      const when = (d.deliveredAt ?? d.createdAt).toISOString();
      const last = d.lastError ?? (d.lastStatus !== null ? `HTTP ${d.lastStatus}` : '');
      io.out(`  ${d.id}\t${d.event}\t${d.status}\t${d.attempts} attempts\t${when}\t${last}\n`);
    }
  }
}
