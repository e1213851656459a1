/**
 * The widget's words in real Chromium: a site's own `strings` (Repro.init), and the language the
 * page's `lang` picks, seen the way a user (and a screen reader) meets them: the launcher's
 * accessible name, the panel's name and labels, the buttons and what the widget says back.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { ProjectsService } from '../../src/modules/projects/projects.service';
import { Report } from '../../src/modules/reports/entities/report.entity';
import { createProject, type TestProject } from '../factories/project.factory';
import { createHarness, type Harness, type RunningApp, waitFor } from '../support/harness';
import { CHROMIUM, buildWidget } from '../support/browser';

const SHOTS = '/tmp/shots/widget-strings';

/** A site's own words for the widget (every one the compose panel shows, and the answers). */
const CUSTOM = {
  launcher: 'Found a problem?',
  title: 'Tell us what broke',
  close: 'Dismiss',
  description: 'Describe the problem',
  descriptionHint: 'Which screen, which button, what you saw',
  email: 'Where can we reach you?',
  attachNote: 'We attach the last {minutes} minutes of this tab.',
  includeRecording: 'Attach the replay',
  send: 'Submit it',
  sent: 'Got it, thank you!',
  required: 'A few words, please.',
};

interface PageOptions {
  lang: string;
  /** Repro.init's options besides key, as JavaScript source. */
  init?: string;
  key?: string;
}

/** What the page's window holds once the widget is loaded. */
interface PageWindow {
  Repro?: unknown;
}

describe('the widget in the page’s language, or in the site’s own words', () => {
  let h: Harness;
  let app: RunningApp;
  let acme: TestProject;
  let browser: Browser;
  let widgetDir: string;
  let site: Server;
  let siteOrigin: string;
  /** The next page the site serves. */
  let next: PageOptions = { lang: 'en' };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    widgetDir = await mkdtemp(join(tmpdir(), 'repro-widget-strings-'));
    buildWidget(widgetDir);
    h = await createHarness({ WIDGET_DIR: widgetDir });
    app = await h.start('all');
    acme = await createProject(h.db);
    site = createServer((_req, res) => {
      const { lang, init = '', key = acme.project.widgetKey } = next;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme</title></head>` +
          `<body><h1>Acme billing</h1><p>Invoices, plans and payment methods.</p>` +
          `<script src="${app.url}/widget.js"></script>` +
          `<script>Repro.init({ key: ${JSON.stringify(key)}, ${init} });</script></body></html>`,
      );
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    await new ProjectsService(h.db).updateWidgetSettings(acme.project.slug, {
      allowedOrigins: [siteOrigin],
    });
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    site?.close();
    await h?.close();
    await rm(widgetDir, { recursive: true, force: true });
  });

  async function open(page: PageOptions, width = 1280, height = 800): Promise<Page> {
    next = page;
    // The browser's own language is English: only the page (or the site) picks another.
    const tab = await browser.newPage({ viewport: { width, height }, locale: 'en-US' });
    await tab.goto(`${siteOrigin}/`);
    await tab.waitForFunction(() => Boolean((globalThis as unknown as PageWindow).Repro));
    return tab;
  }

  const widgetOf = (page: Page): Locator => page.locator('[data-repro-widget]');

  /** The language a screen reader reads `locator` in: the nearest lang, across the shadow root. */
  const languageOf = (locator: Locator): Promise<string | null> =>
    locator.evaluate((start) => {
      interface Node {
        getAttribute?(name: string): string | null;
        parentElement: Node | null;
        getRootNode(): { host?: Node };
      }
      for (
        let at: Node | null = start as Node;
        at;
        at = at.parentElement ?? at.getRootNode().host ?? null
      ) {
        const lang = at.getAttribute?.('lang');
        if (lang) return lang;
      }
      return null;
    });

  /** Screenshots of the launcher and the open panel, on a desktop and on a phone. */
  async function shoot(page: PageOptions, name: string, launcher: string): Promise<void> {
    for (const [device, width, height] of [
      ['desktop', 1280, 800],
      ['phone', 390, 844],
    ] as const) {
      const tab = await open(page, width, height);
      await tab.screenshot({ path: join(SHOTS, `${name}-launcher-${device}.png`) });
      await widgetOf(tab).getByRole('button', { name: launcher }).click();
      await tab.screenshot({ path: join(SHOTS, `${name}-${device}.png`) });
      await tab.close();
    }
  }

  it("shows the site's own strings in the launcher's accessible name, the panel's labels and the send button", async () => {
    const init = `strings: ${JSON.stringify(CUSTOM)}`;
    const page = await open({ lang: 'en', init });
    const widget = widgetOf(page);
    const launcher = widget.getByRole('button', { name: CUSTOM.launcher, exact: true });
    await launcher.click();
    const panel = widget.getByRole('dialog', { name: CUSTOM.title, exact: true });
    await panel.waitFor();
    await expect(panel.getByRole('button', { name: CUSTOM.close }).count()).resolves.toBe(1);
    const description = panel.getByLabel(CUSTOM.description, { exact: true });
    expect(await description.getAttribute('placeholder')).toBe(CUSTOM.descriptionHint);
    await expect(panel.getByLabel(CUSTOM.email, { exact: true }).count()).resolves.toBe(1);
    expect(await panel.getByLabel(CUSTOM.includeRecording, { exact: true }).isChecked()).toBe(true);
    await panel.getByText('We attach the last 2 minutes of this tab.', { exact: true }).waitFor();
    const send = panel.getByRole('button', { name: CUSTOM.send, exact: true });

    // Sending nothing says so in the site's words; a report then gets the site's thanks.
    await send.click();
    await panel.getByText(CUSTOM.required, { exact: true }).waitFor();
    await description.fill('The export button does nothing (custom strings)');
    await send.click();
    await panel.getByText(CUSTOM.sent, { exact: true }).waitFor({ timeout: 15_000 });
    await waitFor(
      () =>
        h.db
          .getRepository(Report)
          .findOneBy({ description: 'The export button does nothing (custom strings)' }),
      { what: 'the report to be stored' },
    );
    // Nothing in English is left in the compose panel's words.
    expect(await widget.getByText('Report a bug').count()).toBe(0);
    await page.close();
    await shoot({ lang: 'en', init }, 'custom', CUSTOM.launcher);
  });

  it('speaks Portuguese on a page in lang="pt", and a site can still change one word', async () => {
    const page = await open({ lang: 'pt-BR' });
    const widget = widgetOf(page);
    await widget.getByRole('button', { name: 'Reportar um erro', exact: true }).click();
    const panel = widget.getByRole('dialog', { name: 'Reportar um erro', exact: true });
    await panel.waitFor();
    await expect(panel.getByRole('button', { name: 'Fechar' }).count()).resolves.toBe(1);
    await expect(panel.getByLabel('O que aconteceu?', { exact: true }).count()).resolves.toBe(1);
    await expect(panel.getByLabel('Seu e-mail', { exact: true }).count()).resolves.toBe(1);
    await expect(panel.getByLabel('Incluir a gravação', { exact: true }).count()).resolves.toBe(1);
    // A screen reader reads the panel as Portuguese.
    expect(await languageOf(panel)).toMatch(/^pt/);
    await panel.getByLabel('O que aconteceu?').fill('O botão de exportar não faz nada');
    await panel.getByRole('button', { name: 'Enviar', exact: true }).click();
    await panel.getByText('Obrigado, seu relato foi enviado.').waitFor({ timeout: 15_000 });
    await page.close();
    await shoot({ lang: 'pt-BR' }, 'portuguese', 'Reportar um erro');

    const changed = await open({ lang: 'pt', init: `strings: { send: 'Mandar' }` });
    const other = widgetOf(changed);
    await other.getByRole('button', { name: 'Reportar um erro', exact: true }).click();
    await other.getByRole('button', { name: 'Mandar', exact: true }).waitFor();
    await expect(other.getByLabel('O que aconteceu?', { exact: true }).count()).resolves.toBe(1);
    await changed.close();
  });

  it("keeps the language's word where the site's strings leave one out or give something that is not text", async () => {
    const page = await open({
      lang: 'es',
      init: `strings: { send: undefined, close: '', title: 42, launcher: 'Avísanos' }`,
    });
    const widget = widgetOf(page);
    await widget.getByRole('button', { name: 'Avísanos', exact: true }).click();
    const panel = widget.getByRole('dialog', { name: 'Informar un error', exact: true });
    await panel.waitFor();
    await expect(panel.getByRole('button', { name: 'Cerrar' }).count()).resolves.toBe(1);
    await expect(panel.getByRole('button', { name: 'Enviar', exact: true }).count()).resolves.toBe(
      1,
    );
    expect(await languageOf(panel)).toBe('es');
    await page.close();

    // A locale that is not the page's: the panel says which language it speaks.
    const spanish = await open({ lang: 'en', init: `locale: 'es'` });
    const panelEs = widgetOf(spanish);
    await panelEs.getByRole('button', { name: 'Informar un error', exact: true }).click();
    const dialog = panelEs.getByRole('dialog', { name: 'Informar un error', exact: true });
    await dialog.waitFor();
    expect(await languageOf(dialog)).toBe('es');
    await spanish.close();
  });

  it('says in Portuguese that a stale widget key is refused, instead of retrying a network failure', async () => {
    const page = await open({ lang: 'pt', key: 'pk_rotatedRotatedRotated' });
    const widget = widgetOf(page);
    await widget.getByRole('button', { name: 'Reportar um erro', exact: true }).click();
    await widget.getByLabel('O que aconteceu?').fill('Enviado com uma chave antiga');
    await widget.getByRole('button', { name: 'Enviar', exact: true }).click();
    await widget
      .getByRole('alert')
      .getByText('Este site não tem permissão para enviar relatos.')
      .waitFor({ timeout: 5_000 });
    await page.close();
  });
});
