import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { addWebhookCommand, listWebhooksCommand } from '../../src/cli/webhooks-out.command';
import type { CliIo } from '../../src/cli/io';
import { type AppConfig, loadConfig } from '../../src/config/config.schema';
import { dataSourceOptions } from '../../src/database/data-source';
import { WebhookDeliveryOut } from '../../src/modules/notifications/entities/webhook-delivery-out.entity';
import {
  WebhookEndpoint,
  type WebhookEvent,
} from '../../src/modules/notifications/entities/webhook-endpoint.entity';
import { NotificationWebhooksService } from '../../src/modules/notifications/notification-webhooks.service';
import { createProject } from '../factories/project.factory';
import { FakeWebhookReceiver } from '../fakes/webhook-receiver.server';
import { createTestDatabase } from '../support/databases';

const MINUTE = 60_000;

describe('Outgoing webhooks: signed, retried, once, and never to private addresses by default', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let config: AppConfig;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS=true: the fake receiver listens on 127.0.0.1. */
  let permissive: NotificationWebhooksService;
  /** The default: private targets refused. */
  let strict: NotificationWebhooksService;
  const receivers: FakeWebhookReceiver[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new DataSource({ ...dataSourceOptions(database.url), extra: { max: 4 } });
    await db.initialize();
    config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
    permissive = new NotificationWebhooksService(db, {
      ...config,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: true,
    });
    strict = new NotificationWebhooksService(db, {
      ...config,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: false,
    });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await db?.destroy();
    await database?.drop();
  });

  async function receiver(): Promise<FakeWebhookReceiver> {
    const r = await new FakeWebhookReceiver().start();
    receivers.push(r);
    return r;
  }

  /** A project with one endpoint at a fresh receiver that knows the endpoint's secret. */
  async function endpointAtReceiver(events: string[] = []) {
    const { project } = await createProject(db, 'Hooks');
    const r = await receiver();
    const { endpoint, secret } = await permissive.createEndpoint(project.id, r.url, events);
    r.secret = secret;
    return { project, endpoint, secret, receiver: r };
  }

  function enqueue(projectId: string, key: string, event: WebhookEvent = 'report.resolved') {
    return db.transaction((manager) =>
      permissive.enqueue(manager, projectId, event, { reportId: key, status: 'resolved' }, key),
    );
  }

  const deliveriesOf = (endpointId: string) =>
    db.getRepository(WebhookDeliveryOut).find({ where: { endpointId } });

  it('sends a Standard Webhooks delivery that verifies with the endpoint secret', async () => {
    const { project, endpoint, secret, receiver: r } = await endpointAtReceiver();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(await enqueue(project.id, 'report.resolved:r1:1')).toBe(1);

    const run = await permissive.deliverDue();

    expect(run).toEqual({ delivered: 1, failed: 0, retrying: 0 });
    expect(r.received).toHaveLength(1);
    const [got] = r.received;
    expect(got.verified).toBe(true);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.payload).toMatchObject({
      type: 'report.resolved',
      data: { reportId: 'report.resolved:r1:1', status: 'resolved' },
    });
    // A receiver with another secret refuses it: the signature is really the endpoint's.
    expect(() =>
      new Webhook(`whsec_${Buffer.from('not the secret').toString('base64')}`).verify(
        got.body,
        got.headers as Record<string, string>,
      ),
    ).toThrow();
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    expect(got.headers['webhook-id']).toBe(delivery.id);
  });

  it('retries a 500 and delivers once on the 200, with the same webhook-id and both attempts logged', async () => {
    const { project, endpoint, receiver: r } = await endpointAtReceiver();
    r.answer(500);
    await enqueue(project.id, 'report.resolved:r2:1');
    const t0 = new Date();

    expect(await permissive.deliverDue(t0)).toEqual({ delivered: 0, failed: 0, retrying: 1 });
    // Not due yet: the first retry waits about 30 s.
    expect(await permissive.deliverDue(t0)).toEqual({ delivered: 0, failed: 0, retrying: 0 });
    expect(await permissive.deliverDue(new Date(t0.getTime() + MINUTE))).toEqual({
      delivered: 1,
      failed: 0,
      retrying: 0,
    });
    // Delivered is final: later runs and a direct retry of the same delivery send nothing.
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(await permissive.deliverDue(new Date(t0.getTime() + 60 * MINUTE))).toEqual({
      delivered: 0,
      failed: 0,
      retrying: 0,
    });
    expect(await permissive.deliverOne(delivery.id)).toBeNull();

    expect(r.received.map((x) => x.answered)).toEqual([500, 200]);
    expect(r.received.every((x) => x.verified)).toBe(true);
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([delivery.id]));
    expect(r.received[0].body).toBe(r.received[1].body);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
    expect(delivery.attemptLog.map((a) => [a.status, a.error])).toEqual([
      [500, 'HTTP 500'],
      [200, null],
    ]);
    const listed = await permissive.listEndpoints(project.id);
    expect(listed[0].endpoint.consecutiveFailures).toBe(0);
  });

  it.each([
    ['loopback', 'http://127.0.0.1:9/hook', /loopback/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', /link-local/],
    ['a name resolving to loopback', 'http://localhost:9/hook', /loopback/],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]:9/hook', /loopback/],
    ['a private network', 'http://10.1.2.3/hook', /private/],
  ])('refuses %s at creation with a 400 naming url', async (_what, url, reason) => {
    const { project } = await createProject(db, 'Refused');
    const error = await strict.createEndpoint(project.id, url).catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'url', message: expect.stringMatching(reason) }] },
    });
    expect(await db.getRepository(WebhookEndpoint).countBy({ projectId: project.id })).toBe(0);
  });

  it('refuses a loopback and a metadata target at delivery too, and delivers once the setting allows it', async () => {
    const { project, endpoint, receiver: r } = await endpointAtReceiver();
    const { endpoint: metadata } = await permissive.createEndpoint(
      project.id,
      'http://169.254.169.254/latest/meta-data/',
    );
    await enqueue(project.id, 'report.filed:r3');

    expect(await strict.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 2 });

    expect(r.received).toHaveLength(0);
    const [refused] = await deliveriesOf(endpoint.id);
    expect(refused.lastError).toMatch(/^refused: 127\.0\.0\.1 is a loopback address/);
    expect(refused.lastStatus).toBeNull();
    const [toMetadata] = await deliveriesOf(metadata.id);
    expect(toMetadata.lastError).toMatch(/^refused: 169\.254\.169\.254 is a link-local/);

    // The same delivery, with the operator's WEBHOOK_ALLOW_PRIVATE_TARGETS=true, goes out.
    expect(await permissive.deliverOne(refused.id)).toBe('delivered');
    expect(r.received).toHaveLength(1);
    expect(r.received[0].headers['webhook-id']).toBe(refused.id);
  });

  it('connects to the address it checked, and re-checks the name at every delivery (DNS rebinding)', async () => {
    const { project } = await createProject(db, 'Rebind');
    const r = await receiver();
    const port = new URL(r.url).port;
    // hooks.customer.test exists only in this DNS: first a public address, later loopback.
    let answer = '93.184.215.14';
    const dns = (host: string) =>
      host === 'hooks.customer.test'
        ? Promise.resolve([{ address: answer, family: 4 as const }])
        : Promise.reject(new Error('ENOTFOUND'));
    const strictDns = new NotificationWebhooksService(db, strict['config']);
    strictDns.lookup = dns;
    const { endpoint, secret } = await strictDns.createEndpoint(
      project.id,
      `http://hooks.customer.test:${port}/hooks`,
    );
    r.secret = secret;
    answer = '127.0.0.1';
    await enqueue(project.id, 'report.filed:rebind', 'report.filed');

    expect(await strictDns.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 1 });
    expect(r.received).toHaveLength(0);
    expect((await deliveriesOf(endpoint.id))[0].lastError).toMatch(
      /^refused: hooks\.customer\.test resolves to 127\.0\.0\.1, which is a loopback address/,
    );

    // Allowed, the request goes to the address the lookup gave (the system DNS knows no such
    // name), under the endpoint's own host name.
    const permissiveDns = new NotificationWebhooksService(db, permissive['config']);
    permissiveDns.lookup = dns;
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(await permissiveDns.deliverOne(delivery.id)).toBe('delivered');
    expect(r.received).toHaveLength(1);
    expect(r.received[0].headers.host).toBe(`hooks.customer.test:${port}`);
    expect(r.received[0].verified).toBe(true);
  });

  it('does not follow a redirect, even with private targets allowed', async () => {
    const { project, endpoint, receiver: first } = await endpointAtReceiver();
    const inside = await receiver();
    first.redirectTo = `${inside.url}?from=redirect`;
    await enqueue(project.id, 'report.closed:r4', 'report.closed');

    expect(await permissive.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 1 });

    expect(first.received).toHaveLength(1);
    expect(inside.received).toHaveLength(0);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({
      status: 'pending',
      lastStatus: 302,
      lastError: 'redirect not followed',
    });
  });

  it('adds one delivery for an idempotency key enqueued twice, and only for subscribed events', async () => {
    const { project, endpoint, receiver: r } = await endpointAtReceiver(['report.resolved']);
    expect(await enqueue(project.id, 'report.resolved:r5:1')).toBe(1);
    expect(await enqueue(project.id, 'report.resolved:r5:1')).toBe(0);
    expect(await enqueue(project.id, 'report.filed:r5', 'report.filed')).toBe(0);
    // A second resolution is a new key: told again.
    expect(await enqueue(project.id, 'report.resolved:r5:2')).toBe(1);

    await permissive.deliverDue();

    expect((await deliveriesOf(endpoint.id)).map((d) => d.idempotencyKey).sort()).toEqual([
      'report.resolved:r5:1',
      'report.resolved:r5:2',
    ]);
    expect(r.received).toHaveLength(2);
  });

  it('sends a disabled endpoint nothing, neither new events nor ones queued before', async () => {
    const { project, endpoint, receiver: r } = await endpointAtReceiver();
    await enqueue(project.id, 'report.filed:r6a', 'report.filed');
    await permissive.setDisabled(endpoint.id, 'turned off by the operator');

    expect(await enqueue(project.id, 'report.filed:r6b', 'report.filed')).toBe(0);
    expect(await permissive.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 0 });
    expect(r.received).toHaveLength(0);
  });

  it('disables an endpoint that has failed every attempt for a day, with the reason shown', async () => {
    const { project, endpoint, receiver: r } = await endpointAtReceiver();
    r.answer(...Array<number>(20).fill(503));
    await enqueue(project.id, 'report.filed:r7', 'report.filed');
    const t0 = new Date();

    await permissive.deliverDue(t0);
    // The retries come due later and later; the one after a day of failures switches the endpoint off.
    for (let hours = 1; hours <= 40; hours += 1) {
      await permissive.deliverDue(new Date(t0.getTime() + hours * 60 * MINUTE));
    }

    const [listing] = await permissive.listEndpoints(project.id);
    expect(listing.endpoint.disabledAt).not.toBeNull();
    expect(listing.endpoint.disabledReason).toMatch(
      /^every delivery failed since .* attempts in a row; last: HTTP 503\)$/,
    );
    // Every attempt of about a day was made before giving up.
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: 'failed', attempts: 10 });
    const sent = r.received.length;
    await enqueue(project.id, 'report.filed:r7b', 'report.filed');
    await permissive.deliverDue(new Date(t0.getTime() + 72 * 60 * MINUTE));
    expect(r.received).toHaveLength(sent);
    expect((await deliveriesOf(endpoint.id)).length).toBe(1);
  });

  describe('repro webhooks', () => {
    function io(): CliIo & { stdout: () => string; stderr: () => string } {
      let out = '';
      let err = '';
      return {
        env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
        out: (t) => (out += t),
        err: (t) => (err += t),
        stdout: () => out,
        stderr: () => err,
      };
    }

    it('add prints the whsec_ secret once; list shows the endpoint, its state and deliveries, never the secret', async () => {
      const { project } = await createProject(db, 'Cli Hooks');
      const add = io();
      await addWebhookCommand(
        {
          url: 'https://93.184.215.14/hooks',
          events: 'report.resolved,report.closed',
          project: project.slug,
        },
        add,
      );
      const secret = add.stdout().trim();
      expect(secret).toMatch(/^whsec_/);
      expect(add.stderr()).toContain('not shown again');

      await enqueue(project.id, 'report.resolved:cli:1');
      const list = io();
      await listWebhooksCommand({ project: project.slug }, list);
      expect(list.stdout()).toContain('https://93.184.215.14/hooks');
      expect(list.stdout()).toContain('report.resolved,report.closed');
      expect(list.stdout()).toMatch(/\tenabled\n/);
      expect(list.stdout()).toMatch(/report\.resolved\tpending\t0 attempts/);
      expect(list.stdout()).not.toContain(secret);
      expect(list.stdout()).not.toContain('whsec_');
    });

    it('add refuses a metadata address and an unknown event, naming the field', async () => {
      const { project } = await createProject(db, 'Cli Refused');
      await expect(
        addWebhookCommand({ url: 'http://169.254.169.254/', project: project.slug }, io()),
      ).rejects.toMatchObject({ details: { fields: [{ field: 'url' }] } });
      await expect(
        addWebhookCommand(
          { url: 'https://93.184.215.14/', events: 'report.exploded', project: project.slug },
          io(),
        ),
      ).rejects.toMatchObject({ details: { fields: [{ field: 'events' }] } });
    });
  });
});
