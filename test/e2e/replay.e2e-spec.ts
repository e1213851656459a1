import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { type Browser, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { CoreModule } from '../../src/core.module';
import { Recording } from '../../src/modules/recordings/entities/recording.entity';
import { AppSecret } from '../../src/modules/replay/entities/app-secret.entity';
import {
  REPLAY_KEY_NAME,
  REPLAY_LINK_TTL_SECONDS,
  ReplayLinksService,
} from '../../src/modules/replay/replay-links.service';
import type { ReplayPageData } from '../../src/modules/replay/replay-page';
import { ReplayModule } from '../../src/modules/replay/replay.module';
import { createProject, type TestProject } from '../factories/project.factory';
import { reportPayload } from '../factories/report.factory';
import { RrwebBuilder } from '../factories/rrweb-builder';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { CHROMIUM } from '../support/browser';

const INJECTION = '<img src=x onerror=alert(1)>';
const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * A billing page: Save fails (500, console error), then a click on a button whose name is
 * markup. Times in ms from the start: click Save 1541, request 2000, error 2300, markup 5041.
 */
function billingRecording(): Record<string, unknown>[] {
  return new RrwebBuilder()
    .load(0, (x) => [
      x.el('h1', {}, ['Billing']),
      x.el('button', { type: 'button' }, ['Save card'], 'save'),
      x.el('button', { type: 'button' }, [INJECTION], 'evil'),
      x.el('p', {}, [], 'out'),
    ])
    .click(1_500, 'save')
    .request(2_000, 'POST', 'https://app.acme.example/api/billing', 500)
    .consoleError(2_300, 'Payment failed: card declined')
    .click(5_000, 'evil')
    .render(5_200, 'out', 'Nothing happened')
    .scroll(9_000, 200).events;
}

/** The JSON the page embeds for its script. */
function pageData(html: string): ReplayPageData {
  const match = /<script type="application\/json" id="replay-data">([^<]*)<\/script>/.exec(html);
  if (!match) throw new Error('no replay-data element in the page');
  return JSON.parse(match[1]) as ReplayPageData;
}

/** A process without HTTP, as the worker is when it files tickets. */
@Module({})
class WorkerLike {}

const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

describe('replay viewer: GET /replay/:reportId plays the recording beside its timeline', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let links: ReplayLinksService;
  let events: Record<string, unknown>[];
  let reportId: string;

  beforeAll(async () => {
    h = await createHarness();
    expect(h.config.ADMIN_TOKEN).toBe(ADMIN_TOKEN);
    app = await h.start('all');
    acme = await createProject(h.db);
    links = app.app.get(ReplayLinksService);
    events = billingRecording();
    reportId = await reportWithRecording(events);
  });
  afterAll(() => h.close());

  /** Files a report with `events` and waits for the pipeline to store its analysis. */
  async function reportWithRecording(
    recording: Record<string, unknown>[],
    overrides: Record<string, unknown> = {},
  ): Promise<string> {
    const res = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ events: recording, ...overrides }))
      .expect(202);
    const id = res.body.id as string;
    await waitFor(
      async () => (await h.db.getRepository(Recording).findOneBy({ reportId: id }))?.analysis,
      { what: `the analysis of report ${id}` },
    );
    return id;
  }

  /** A link as handed out (PUBLIC_URL), pointed at this test's server. */
  function local(link: string): string {
    const url = new URL(link);
    return `${app.url}${url.pathname}${url.search}`;
  }

  const signed = (id: string, exp: number, sig: string, t = 0) =>
    `/replay/${id}?t=${t}&exp=${exp}&sig=${sig}`;
  const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

  it('makes the signing key once and shares it: processes signing at once all agree', async () => {
    // A database of its own, so that the key is surely being made for the first time here.
    const fresh = await createHarness();
    try {
      const secrets = fresh.db.getRepository(AppSecret);
      expect(await secrets.countBy({ name: REPLAY_KEY_NAME })).toBe(0);
      const exp = inAMinute();
      // Each service stands for a separate API or worker process using the key for the first time.
      const processes = Array.from(
        { length: 5 },
        () => new ReplayLinksService(fresh.db, fresh.config),
      );
      const sigs = await Promise.all(processes.map((p) => p.sign(reportId, exp)));
      expect(new Set(sigs).size).toBe(1);
      expect(sigs[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const rows = await secrets.findBy({ name: REPLAY_KEY_NAME });
      expect(rows).toHaveLength(1);
      expect(Buffer.from(rows[0].value, 'base64url')).toHaveLength(32);
      // Another installation, another key: its links open nothing here.
      expect(await links.sign(reportId, exp)).not.toBe(sigs[0]);
    } finally {
      await fresh.close();
    }
  });

  it('signs links without HTTP, as the worker will for tickets: they open the page', async () => {
    const worker = await NestFactory.createApplicationContext(
      { module: WorkerLike, imports: [CoreModule.forRoot(h.config), ReplayModule] },
      { logger: false },
    );
    try {
      const link = await worker.get(ReplayLinksService).linkFor(reportId, 1_541);
      const res = await request(local(link)).get('').expect(200);
      expect(pageData(res.text).startAt).toBe(1_541);
    } finally {
      await worker.close();
    }
  });

  it("hands the web app a 15-minute link at the moment of failure in the report's view", async () => {
    const before = Math.floor(Date.now() / 1000);
    const view = await request(app.url).get(`/v1/reports/${reportId}`).set(acme.auth).expect(200);
    const url = new URL(view.body.replay.url as string);
    expect(url.pathname).toBe(`/replay/${reportId}`);
    const exp = Number(url.searchParams.get('exp'));
    expect(exp).toBeGreaterThanOrEqual(before + 15 * 60);
    expect(exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 15 * 60);
    // The failure (the 500 at 2000 ms) is where it starts, as the ticket's link does.
    const res = await request(local(url.href)).get('').expect(200);
    expect(pageData(res.text).startAt).toBe(Number(url.searchParams.get('t')));
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");

    // A report without a recording has no replay.
    const bare = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .expect(202);
    const bareView = await request(app.url)
      .get(`/v1/reports/${bare.body.id as string}`)
      .set(acme.auth)
      .expect(200);
    expect(bareView.body.replay).toBeNull();
  });

  it('opens the page from a signed link: player script, timeline JSON, private headers', async () => {
    const link = await links.linkFor(reportId, 2_000);
    const now = Math.floor(Date.now() / 1000);
    const match = new RegExp(
      `^${h.config.PUBLIC_URL}/replay/${reportId}\\?t=2000&exp=(\\d+)&sig=([A-Za-z0-9_-]{43})$`,
    ).exec(link);
    expect(match).not.toBeNull();
    expect(Number(match![1]) - now).toBeGreaterThanOrEqual(REPLAY_LINK_TTL_SECONDS - 5);
    expect(Number(match![1]) - now).toBeLessThanOrEqual(REPLAY_LINK_TTL_SECONDS + 5);
    expect(REPLAY_LINK_TTL_SECONDS).toBe(90 * 24 * 3600);

    const res = await request(local(link)).get('').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const scriptSrc =
      /<script src="(\/replay\/assets\/rrweb-player\.js\?v=[0-9a-f]+)"><\/script>/.exec(res.text);
    expect(scriptSrc).not.toBeNull();
    expect(res.text).toMatch(
      /<link rel="stylesheet" href="\/replay\/assets\/rrweb-player\.css\?v=/,
    );
    expect(res.text).not.toMatch(/https?:\/\/(?!localhost)[^"'\s]*\.(js|css)/);

    const data = pageData(res.text);
    expect(data.startAt).toBe(2_000);
    expect(data.analyzed).toBe(true);
    expect(data.timeline).toEqual(
      expect.arrayContaining([
        { t: 1541, kind: 'step', text: 'Clicked button "Save card"' },
        {
          t: 2000,
          kind: 'request',
          text: 'POST https://app.acme.example/api/billing → 500',
        },
        { t: 2300, kind: 'error', text: 'Payment failed: card declined' },
        { t: 5041, kind: 'step', text: `Clicked button "${INJECTION}"` },
      ]),
    );
    const times = data.timeline.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const csp = res.headers['content-security-policy'];
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(res.text).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    // The web app embeds the replay in a report's page: its own origin may frame it, no other.
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toMatch(/frame-ancestors[^;]*(\*|https?:)/);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-robots-tag']).toMatch(/^noindex/);
    expect(res.headers['cache-control']).toBe('private, no-store');

    // The player's own files come from this server, without a credential.
    const script = await request(app.url).get(scriptSrc![1]).expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.text).toContain('rrwebPlayer');
    expect(script.headers['cache-control']).toContain('immutable');
    const style = await request(app.url).get('/replay/assets/rrweb-player.css').expect(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
    expect(style.text).toContain('.rr-player');
  });

  it('streams exactly the stored events, in order across chunks, plain or gzip', async () => {
    const page = await request(local(await links.linkFor(reportId, 0)))
      .get('')
      .expect(200);
    const { eventsUrl } = pageData(page.text);
    const plain = await request(app.url)
      .get(eventsUrl)
      .set('Accept-Encoding', 'identity')
      .expect(200);
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('private, no-store');
    expect(JSON.parse(plain.text)).toEqual(events);
    const gzipped = await request(app.url)
      .get(eventsUrl)
      .set('Accept-Encoding', 'gzip')
      .expect(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body).toEqual(events);

    // A recording uploaded in three chunks, the last one first.
    const sessionId = `sess_${randomUUID().replace(/-/g, '')}`;
    const recording = billingRecording();
    const parts = [recording.slice(0, 4), recording.slice(4, 9), recording.slice(9)];
    for (const seq of [2, 0, 1]) {
      await request(app.url)
        .post(`/v1/recordings/${sessionId}/chunks?seq=${seq}`)
        .set(acme.auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(parts[seq]))
        .expect(201);
    }
    const chunked = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sessionId }))
      .expect(202);
    const res = await request(app.url)
      .get(`/replay/${chunked.body.id}/events`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(200);
    expect(res.body).toEqual(recording);
  });

  it('refuses a tampered link with 401', async () => {
    const link = new URL(await links.linkFor(reportId, 0));
    const exp = Number(link.searchParams.get('exp'));
    const sig = link.searchParams.get('sig')!;
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    for (const path of [
      signed(reportId, exp, flipped),
      signed(reportId, exp + 86_400, sig), // a longer life, same signature
      `/replay/${reportId}/events?exp=${exp}&sig=${flipped}`,
      `/replay/${reportId}?exp=${exp}`,
      `/replay/${reportId}?exp=${exp}&sig=${sig.slice(0, 20)}`,
    ]) {
      const res = await request(app.url).get(path);
      expect(`${path} -> ${res.status} ${res.body.error?.code}`).toBe(
        `${path} -> 401 UNAUTHORIZED`,
      );
    }
  });

  it('refuses an expired link with 401 and says it expired', async () => {
    const exp = Math.floor(Date.now() / 1000) - 60;
    const sig = await links.sign(reportId, exp);
    for (const path of [
      signed(reportId, exp, sig),
      `/replay/${reportId}/events?exp=${exp}&sig=${sig}`,
    ]) {
      const res = await request(app.url).get(path).expect(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(res.body.error.message).toMatch(/expired/);
    }
  });

  it('answers 401 without a credential, whether the report exists or not, and to API keys', async () => {
    for (const id of [reportId, randomUUID(), 'not-a-uuid']) {
      const page = await request(app.url).get(`/replay/${id}?t=0`).expect(401);
      expect(page.body.error.code).toBe('UNAUTHORIZED');
      expect(page.headers['www-authenticate']).toMatch(/^Basic realm="Repro admin"/);
      await request(app.url).get(`/replay/${id}/events`).expect(401);
    }
    // A project's API key is for the API; a replay takes its link or the admin token.
    await request(app.url).get(`/replay/${reportId}`).set(acme.auth).expect(401);
    await request(app.url)
      .get(`/replay/${reportId}`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}x`)
      .expect(401);
  });

  it('opens with the admin token (Bearer or Basic); the page can then fetch on its own', async () => {
    const bearer = await request(app.url)
      .get(`/replay/${reportId}?t=2300`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(200);
    expect(pageData(bearer.text).startAt).toBe(2_300);
    await request(app.url)
      .get(`/replay/${reportId}`)
      .set('Authorization', basic(ADMIN_TOKEN))
      .expect(200);
    await request(app.url)
      .get(`/replay/${reportId}/events`)
      .set('Authorization', basic(ADMIN_TOKEN))
      .expect(200);
    // The page's fetch carries no admin token: its embedded, short-lived link is enough.
    const { eventsUrl } = pageData(bearer.text);
    const exp = Number(new URL(eventsUrl, app.url).searchParams.get('exp'));
    expect(exp - Date.now() / 1000).toBeLessThanOrEqual(15 * 60 + 5);
    const fetched = await request(app.url).get(eventsUrl).expect(200);
    expect(fetched.body).toEqual(events);
  });

  it("does not open a report with another report's signature", async () => {
    const other = await reportWithRecording(billingRecording());
    const link = new URL(await links.linkFor(other, 0));
    const exp = Number(link.searchParams.get('exp'));
    const sig = link.searchParams.get('sig')!;
    await request(app.url)
      .get(signed(other, exp, sig))
      .expect(200);
    await request(app.url)
      .get(signed(reportId, exp, sig))
      .expect(401);
    await request(app.url).get(`/replay/${reportId}/events?exp=${exp}&sig=${sig}`).expect(401);
  });

  it('answers 404 for an unknown report, or one without a stored recording, once authorized', async () => {
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const unknown = randomUUID();
    for (const path of [`/replay/${unknown}`, `/replay/${unknown}/events`, '/replay/not-a-uuid']) {
      const res = await request(app.url).get(path).set(admin);
      expect(`${path} -> ${res.status} ${res.body.error?.code}`).toBe(`${path} -> 404 NOT_FOUND`);
    }
    // A genuine link to a report that is gone (or never was) is a 404 too.
    const exp = inAMinute();
    await request(app.url)
      .get(signed(unknown, exp, await links.sign(unknown, exp)))
      .expect(404);

    const noRecording = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload())
      .expect(202);
    const res = await request(app.url).get(`/replay/${noRecording.body.id}`).set(admin).expect(404);
    expect(res.body.error.message).toBe('This report has no recording.');

    const pending = await request(app.url)
      .post('/v1/reports')
      .set(acme.auth)
      .send(reportPayload({ sessionId: `sess_${randomUUID().replace(/-/g, '')}` }))
      .expect(202);
    await request(app.url).get(`/replay/${pending.body.id}/events`).set(admin).expect(404);
  });

  it('shows a recording without analysis with an empty timeline that says so', async () => {
    const id = await reportWithRecording(billingRecording());
    // As when the analysis failed: the report went on without it.
    await h.db
      .getRepository(Recording)
      .update({ reportId: id }, { analysis: null, analyzedAt: null });
    const page = await request(app.url)
      .get(`/replay/${id}`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .expect(200);
    expect(pageData(page.text)).toMatchObject({ analyzed: false, timeline: [] });
  });

  it('embeds text from the report and the recording as data, never as markup', async () => {
    const id = await reportWithRecording(billingRecording(), {
      description: `</script><script>alert(2)</script> ${INJECTION}\nSave fails`,
    });
    const res = await request(local(await links.linkFor(id, 0)))
      .get('')
      .expect(200);
    expect(res.text).not.toContain('<img');
    expect(res.text).not.toContain('alert(2)</script>');
    expect(res.text.match(/<script/g)).toHaveLength(3);
    const data = pageData(res.text);
    expect(data.title).toBe(`</script><script>alert(2)</script> ${INJECTION}`);
    expect(data.timeline.map((e) => e.text)).toContain(`Clicked button "${INJECTION}"`);
  });

  describe('in Chromium', () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await chromium.launch(CHROMIUM);
    });
    afterAll(() => browser?.close());

    /** Console errors and page errors, and any dialog (alert) a script managed to open. */
    function watch(page: Page) {
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      return problems;
    }

    async function playerReady(page: Page): Promise<void> {
      await page.locator('.rr-player').waitFor();
      await page.locator('.rr-player .replayer-wrapper iframe').waitFor({ state: 'attached' });
      await page.waitForFunction(() => (globalThis as unknown as { __player?: unknown }).__player);
    }

    const currentTime = (page: Page) =>
      page.evaluate(() =>
        (
          globalThis as unknown as {
            __player: { getReplayer(): { getCurrentTime(): number } };
          }
        ).__player
          .getReplayer()
          .getCurrentTime(),
      );

    it('plays from t, and clicking a timeline entry seeks the player to it', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const problems = watch(page);
      try {
        await page.goto(local(await links.linkFor(reportId, 2_000)));
        await playerReady(page);
        expect(await currentTime(page)).toBeGreaterThanOrEqual(2_000);
        // The replayer rebuilt the recorded page.
        const frame = page.frameLocator('.rr-player .replayer-wrapper iframe');
        await expect(frame.locator('h1').textContent()).resolves.toBe('Billing');

        await page.evaluate(() =>
          (globalThis as unknown as { __player: { pause(): void } }).__player.pause(),
        );
        const error = page.locator('#timeline button', { hasText: 'Payment failed' });
        await expect(error.locator('time').textContent()).resolves.toBe('00:02');
        await error.click();
        expect(Math.abs((await currentTime(page)) - 2_300)).toBeLessThan(50);
        await expect(error.getAttribute('aria-current')).resolves.toBe('true');

        // Back in time, too.
        await page.locator('#timeline button', { hasText: 'Save card' }).click();
        expect(Math.abs((await currentTime(page)) - 1_541)).toBeLessThan(50);

        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('shows a button named like markup as text: no element is created from it', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems = watch(page);
      try {
        await page.goto(local(await links.linkFor(reportId, 5_000)));
        await playerReady(page);
        const entry = page.locator('#timeline button', { hasText: 'Clicked button "<img' });
        await expect(entry.locator('.text').textContent()).resolves.toBe(
          `Clicked button "${INJECTION}"`,
        );
        expect(await page.locator('#timeline img').count()).toBe(0);
        // Outside the replayer's iframe the page has no images at all.
        expect(await page.locator('img').count()).toBe(0);
        await entry.click();
        await page.waitForTimeout(300);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('opens for an operator with the admin token as Basic auth, and plays', async () => {
      const context = await browser.newContext({
        httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
      });
      const page = await context.newPage();
      try {
        const res = await page.goto(`${app.url}/replay/${reportId}`);
        expect(res?.status()).toBe(200);
        await playerReady(page);
        await expect(page.locator('#status').textContent()).resolves.toBe('');
      } finally {
        await context.close();
      }
    });
  });
});
