/**
 * Repro's in-app widget: records the last minutes in the tab, shows a launcher and a panel in a
 * shadow root, sends reports to /v1/widget/:key/reports and carries on the conversation.
 */
import { Delivery, ReproError, uuid, type Accepted } from './delivery';
import { Recorder } from './recorder';
import { SessionStream } from './stream';
import { fill, stringsFor, type Strings } from './strings';
import { CSS } from './styles';

export { ReproError };

export interface InitOptions {
  /** The project's public widget key (`pk_…`). */
  key: string;
  /** Repro's origin; defaults to the script's own origin (or the page's, for the ES module). */
  endpoint?: string;
  /** Launcher corner, or false for no launcher (call `open()` from your own button). */
  launcher?: boolean;
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left';
  /** Launcher text (defaults to the language's "Report a bug"). */
  label?: string;
  /** CSS colours for the launcher and buttons. */
  accentColor?: string;
  accentTextColor?: string;
  theme?: 'auto' | 'light' | 'dark';
  /** BCP 47 language; defaults to `<html lang>`, then the browser's. en, pt and es are shipped. */
  locale?: string;
  strings?: Partial<Strings>;
  /** Recording window (default 120 000 ms = 2 minutes). */
  recordWindowMs?: number;
  /** Size cap of the kept recording in characters of JSON (default 3 000 000). */
  recordMaxBytes?: number;
  /** Full snapshot period (default 30 000 ms). */
  checkoutEveryMs?: number;
  /** false: no recording at all. */
  record?: boolean;
  /**
   * Stream the recording of an identify()d customer to Repro as they use the page (default
   * false), so a mail they send support later is linked to what they were doing.
   */
  streamRecording?: boolean;
  /** How often the streamed recording is sent (default 10 000 ms). */
  streamEveryMs?: number;
  /** Mask all text on the page in the recording, not only inputs (default false). */
  maskAllText?: boolean;
  /** URL prefixes (or RegExps) whose requests are recorded with headers and bodies (≤ 150 KB). */
  networkBodyAllowList?: (string | RegExp)[];
  /** Delays between send attempts (default 1 s, 3 s, 9 s). */
  retryDelaysMs?: number[];
  /** How often the open conversation is polled (default 15 000 ms). */
  pollIntervalMs?: number;
}

export interface Identity {
  id?: string;
  email?: string;
  name?: string;
  account?: { id: string; name?: string; tier?: string };
}

export interface ReportInput {
  description: string;
  email?: string;
  /** false leaves the recording out (default true). */
  includeRecording?: boolean;
}

export interface Message {
  id: string;
  author: 'agent' | 'reporter';
  body: string;
  questions?: string[];
  createdAt: string;
}

export interface ReportState {
  id: string;
  status: string;
  awaitingReply: boolean;
  messages: Message[];
  filed: boolean;
  ticket: { key: string; url?: string } | null;
}

export type EventName =
  'report:sent' | 'report:queued' | 'report:error' | 'question' | 'filed' | 'open' | 'close';

type Listener = (detail: unknown) => void;

type View =
  | { kind: 'compose'; invalid?: string }
  | { kind: 'sending' }
  | { kind: 'queued' }
  | { kind: 'error'; error: ReproError }
  | { kind: 'conversation' };

interface Saved {
  id: string;
  token: string;
}

const COLOR = /^[#a-zA-Z0-9(),.%\s-]{1,40}$/;

/** Ids from Sentry's browser SDK on the page, when it is there (best effort). */
export function sentryIds(): { eventId?: string; replayId?: string; traceId?: string } | undefined {
  const sentry = (window as unknown as { Sentry?: Record<string, unknown> }).Sentry;
  if (!sentry) return undefined;
  const out: { eventId?: string; replayId?: string; traceId?: string } = {};
  const call = <T>(fn: unknown, ...args: unknown[]): T | undefined => {
    try {
      return typeof fn === 'function' ? (fn as (...a: unknown[]) => T)(...args) : undefined;
    } catch {
      return undefined;
    }
  };
  const eventId = call<string>(sentry.lastEventId);
  if (typeof eventId === 'string' && eventId) out.eventId = eventId;
  const replay = call<{ getReplayId?: () => string | undefined }>(sentry.getReplay);
  const replayId = call<string>(replay?.getReplayId?.bind(replay));
  if (typeof replayId === 'string' && replayId) out.replayId = replayId;
  const span = call<unknown>(sentry.getActiveSpan);
  const spanJson = span ? call<{ trace_id?: string }>(sentry.spanToJSON, span) : undefined;
  let traceId = spanJson?.trace_id;
  if (!traceId) {
    const scope = call<{ getPropagationContext?: () => { traceId?: string } }>(
      sentry.getCurrentScope,
    );
    traceId = call<{ traceId?: string }>(scope?.getPropagationContext?.bind(scope))?.traceId;
  }
  if (typeof traceId === 'string' && traceId) out.traceId = traceId;
  return Object.keys(out).length ? out : undefined;
}

/** The message's questions as a list, unless its text already spells them out. */
function questionList(message: Message): HTMLElement | null {
  const missing = (message.questions ?? []).filter(
    (q) => typeof q === 'string' && !message.body.includes(q),
  );
  if (!missing.length) return null;
  return h(
    'ul',
    { class: 'questions' },
    missing.map((q) => h('li', {}, [q])),
  );
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  children: (Node | string | null | undefined | false)[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** A streamed session gives way to a new one at the first full snapshot after this long. */
const STREAM_SESSION_MS = 10 * 60_000;

export class Widget {
  private readonly delivery: Delivery;
  private readonly recorder: Recorder | null;
  private readonly stream: SessionStream | null = null;
  private readonly strings: Strings;
  /** The panel's language, when it may differ from the page's (screen readers read by it). */
  private readonly lang: string | null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private identity: Identity = {};
  private host: HTMLElement | null = null;
  private rootEl: HTMLElement | null = null;
  private launcherEl: HTMLButtonElement | null = null;
  private panelEl: HTMLElement | null = null;
  private bodyEl: HTMLElement | null = null;
  private view: View = { kind: 'compose' };
  private draft = { description: '', email: '', includeRecording: true, answer: '' };
  private pendingReport: { input: ReportInput; idempotencyKey: string } | null = null;
  private conversation: ReportState | null = null;
  private pollTimer: number | undefined;
  private seenQuestions = new Set<string>();
  private readonly savedKey: string;
  private readonly windowMinutes: number;
  private lastFocus: Element | null = null;
  private readonly awaiting = new Set<string>();

  constructor(private readonly options: InitOptions & { endpoint: string }) {
    const wording = stringsFor(options.locale, options.strings);
    this.strings = wording.strings;
    this.lang = wording.lang;
    this.savedKey = `repro:conversation:${options.key}`;
    const windowMs = options.recordWindowMs ?? 120_000;
    this.windowMinutes = Math.max(1, Math.round(windowMs / 60_000));
    this.delivery = new Delivery({
      endpoint: options.endpoint,
      key: options.key,
      retryDelaysMs: options.retryDelaysMs ?? [1_000, 3_000, 9_000],
      maxRetryAfterMs: 10_000,
    });
    const endpointOrigin = new URL(options.endpoint).origin;
    if (options.record !== false && options.streamRecording) {
      this.stream = new SessionStream(
        {
          url: (path) => this.delivery.url(path),
          storageKey: `repro:stream:${options.key}`,
          everyMs: Math.max(1_000, options.streamEveryMs ?? 10_000),
          sessionMs: STREAM_SESSION_MS,
          requestCheckout: () => this.recorder?.requestCheckout(),
        },
        uuid,
      );
    }
    const stream = this.stream;
    this.recorder =
      options.record === false
        ? null
        : new Recorder({
            storageKey: `repro:recording:${options.key}`,
            windowMs,
            maxBytes: options.recordMaxBytes ?? 3_000_000,
            checkoutEveryMs: options.checkoutEveryMs ?? 30_000,
            maskAllText: options.maskAllText ?? false,
            networkBodyAllowList: options.networkBodyAllowList ?? [],
            ignoreUrl: (url) => url.startsWith(`${endpointOrigin}/v1/widget/`),
            onChunks: stream ? (chunks) => stream.chunks(chunks) : undefined,
          });
  }

  start(): void {
    this.recorder?.start();
    this.stream?.start();
    // Reports queued by an earlier page; those this page awaits are settled by report().
    this.delivery.onOutboxSent((accepted, key) => {
      if (!this.awaiting.has(key)) this.accepted(accepted);
    });
    window.addEventListener('online', () => void this.delivery.flush());
    if (this.delivery.pending()) void this.delivery.flush();
    const saved = this.saved();
    if (saved) {
      this.view = { kind: 'conversation' };
      this.poll();
    }
    if (document.body) this.mount();
    else document.addEventListener('DOMContentLoaded', () => this.mount(), { once: true });
  }

  destroy(): void {
    this.recorder?.stop();
    this.stream?.stop();
    window.clearTimeout(this.pollTimer);
    this.host?.remove();
    this.host = null;
  }

  // Public API

  identify(identity: Identity): void {
    this.identity = { ...this.identity, ...identity };
    this.stream?.identify({ email: this.identity.email, id: this.identity.id });
    this.render();
  }

  on(name: EventName, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  open(): void {
    if (!this.panelEl || !this.launcherEl) return;
    if (!this.panelEl.hidden) return;
    this.lastFocus = document.activeElement;
    this.panelEl.hidden = false;
    this.rootEl?.classList.add('open');
    this.launcherEl.setAttribute('aria-expanded', 'true');
    this.launcherEl.hidden = true;
    this.render();
    this.focusFirst();
    this.emit('open', {});
  }

  close(): void {
    if (!this.panelEl || this.panelEl.hidden) return;
    this.panelEl.hidden = true;
    this.rootEl?.classList.remove('open');
    if (this.launcherEl) {
      this.launcherEl.setAttribute('aria-expanded', 'false');
      this.launcherEl.hidden = this.options.launcher === false;
      if (!this.launcherEl.hidden) this.launcherEl.focus();
      else if (this.lastFocus instanceof HTMLElement) this.lastFocus.focus();
    }
    this.emit('close', {});
  }

  /** Sends a report; resolves to `{ id, status }` after the server's 202, rejects with a ReproError. */
  async report(
    input: ReportInput,
    idempotencyKey = uuid(),
  ): Promise<{ id: string; status: string }> {
    if (!input || typeof input.description !== 'string' || !input.description.trim()) {
      throw new ReproError('INVALID_ARGUMENT', 'report() needs a non-empty description.');
    }
    const body = this.payload(input);
    const offline = navigator.onLine === false;
    if (offline) this.emit('report:queued', { idempotencyKey });
    this.awaiting.add(idempotencyKey);
    try {
      const accepted = await this.delivery.send(body, idempotencyKey);
      this.accepted(accepted);
      return { id: accepted.id, status: accepted.status };
    } catch (error) {
      this.emit('report:error', { error });
      throw error;
    } finally {
      this.awaiting.delete(idempotencyKey);
    }
  }

  /** The conversation's state as last read, or null. */
  state(): ReportState | null {
    return this.conversation;
  }

  // Internals

  private emit(name: EventName, detail: unknown): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        listener(detail);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  private payload(input: ReportInput): Record<string, unknown> {
    const email = input.email?.trim() || this.identity.email;
    const reporter: Record<string, string> = {};
    if (email) reporter.email = email;
    if (this.identity.name) reporter.name = this.identity.name;
    if (this.identity.id) reporter.id = this.identity.id;
    const body: Record<string, unknown> = {
      description: input.description.trim(),
      page: { url: location.href, title: document.title.slice(0, 1000) },
      client: {
        userAgent: navigator.userAgent,
        viewport: { width: window.innerWidth, height: window.innerHeight },
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      },
    };
    if (Object.keys(reporter).length) body.reporter = reporter;
    if (this.identity.account?.id) body.account = this.identity.account;
    const sentry = sentryIds();
    if (sentry) body.sentry = sentry;
    if (input.includeRecording !== false && this.recorder) {
      const events = this.recorder.events();
      if (events.length) body.events = events;
    }
    return body;
  }

  private accepted(accepted: Accepted): void {
    try {
      localStorage.setItem(
        this.savedKey,
        JSON.stringify({ id: accepted.id, token: accepted.reporterToken }),
      );
    } catch {
      /* the conversation lasts this page only */
    }
    this.recorder?.clear();
    this.pendingReport = null;
    this.draft = { description: '', email: '', includeRecording: true, answer: '' };
    this.conversation = {
      id: accepted.id,
      status: accepted.status,
      awaitingReply: false,
      messages: [],
      filed: false,
      ticket: null,
    };
    this.view = { kind: 'conversation' };
    this.emit('report:sent', { id: accepted.id, status: accepted.status });
    this.render(true);
    this.schedulePoll();
  }

  private saved(): Saved | null {
    try {
      const saved = JSON.parse(localStorage.getItem(this.savedKey) ?? 'null') as Saved | null;
      return saved && typeof saved.id === 'string' && typeof saved.token === 'string'
        ? saved
        : null;
    } catch {
      return null;
    }
  }

  private schedulePoll(): void {
    window.clearTimeout(this.pollTimer);
    if (this.conversation?.filed) return;
    this.pollTimer = window.setTimeout(() => this.poll(), this.options.pollIntervalMs ?? 15_000);
  }

  private poll(): void {
    const saved = this.saved();
    if (!saved) return;
    this.delivery
      .conversation<ReportState>(`/reports/${encodeURIComponent(saved.id)}`, saved.token)
      .then(
        (state) => this.updateConversation(state),
        (error: unknown) => {
          // A token the server no longer knows ends the conversation; anything else is retried.
          if (error instanceof ReproError && (error.status === 401 || error.status === 404)) {
            this.forget();
          }
        },
      )
      .finally(() => this.schedulePoll());
  }

  private updateConversation(state: ReportState): void {
    const wasFiled = this.conversation?.filed;
    this.conversation = state;
    for (const message of state.messages) {
      if (
        message.author === 'agent' &&
        state.awaitingReply &&
        !this.seenQuestions.has(message.id)
      ) {
        this.seenQuestions.add(message.id);
        this.emit('question', { reportId: state.id, message });
      }
    }
    if (state.filed && !wasFiled) this.emit('filed', { reportId: state.id, ticket: state.ticket });
    if (this.view.kind === 'conversation') this.render();
  }

  private forget(): void {
    try {
      localStorage.removeItem(this.savedKey);
    } catch {
      /* ignore */
    }
    window.clearTimeout(this.pollTimer);
    this.conversation = null;
    this.view = { kind: 'compose' };
    this.render();
  }

  // UI

  private mount(): void {
    if (this.host) return;
    const host = document.createElement('div');
    host.setAttribute('data-repro-block', '');
    host.setAttribute('data-repro-widget', '');
    const shadow = host.attachShadow({ mode: 'open' });
    const sheets: CSSStyleSheet[] = [];
    const colours: string[] = [];
    if (this.options.accentColor && COLOR.test(this.options.accentColor)) {
      colours.push(`--repro-accent: ${this.options.accentColor};`);
    }
    if (this.options.accentTextColor && COLOR.test(this.options.accentTextColor)) {
      colours.push(`--repro-accent-text: ${this.options.accentTextColor};`);
    }
    const css = `${CSS}\n:host { ${colours.join(' ')} }`;
    if (
      'adoptedStyleSheets' in shadow &&
      typeof CSSStyleSheet === 'function' &&
      'replaceSync' in CSSStyleSheet.prototype
    ) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      sheets.push(sheet);
      shadow.adoptedStyleSheets = sheets;
    } else {
      // Old browsers without constructable stylesheets (needs style-src 'unsafe-inline' there).
      shadow.append(h('style', {}, [css]));
    }
    const position = this.options.position ?? 'bottom-right';
    const theme = this.options.theme ?? 'auto';
    const s = this.strings;
    this.launcherEl = h(
      'button',
      { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' },
      [this.options.label || s.launcher],
    );
    this.launcherEl.hidden = this.options.launcher === false;
    this.launcherEl.addEventListener('click', () => this.open());
    const closeButton = h('button', { type: 'button', class: 'close', 'aria-label': s.close }, [
      '×',
    ]);
    closeButton.addEventListener('click', () => this.close());
    this.bodyEl = h('div', { class: 'body' });
    this.panelEl = h(
      'div',
      { class: 'panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'repro-title' },
      [h('header', {}, [h('h2', { id: 'repro-title' }, [s.title]), closeButton]), this.bodyEl],
    );
    this.panelEl.hidden = true;
    this.panelEl.addEventListener('keydown', (event) => this.onKeydown(event));
    this.rootEl = h('div', { class: `root ${position} ${theme}`, lang: this.lang ?? undefined }, [
      this.launcherEl,
      this.panelEl,
    ]);
    shadow.append(this.rootEl);
    document.body.append(host);
    this.host = host;
    this.render();
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.stopPropagation();
      this.close();
      return;
    }
    if (event.key !== 'Tab' || !this.panelEl) return;
    const focusable = Array.from(
      this.panelEl.querySelectorAll<HTMLElement>(
        'button, textarea, input, a[href], [tabindex]:not([tabindex="-1"])',
      ),
    ).filter((el) => !el.hasAttribute('disabled') && !el.hidden);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = this.host?.shadowRoot?.activeElement;
    if (event.shiftKey && (active === first || !active)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  private focusFirst(): void {
    const target = this.bodyEl?.querySelector<HTMLElement>(
      'textarea, input, button, [tabindex="-1"]',
    );
    target?.focus();
  }

  private render(moveFocus = false): void {
    const body = this.bodyEl;
    if (!body || !this.launcherEl) return;
    const awaiting = Boolean(this.conversation?.awaitingReply);
    const badge = this.launcherEl.querySelector('.badge');
    if (awaiting && !badge)
      this.launcherEl.append(h('span', { class: 'badge', 'aria-hidden': 'true' }));
    if (!awaiting && badge) badge.remove();
    if (this.panelEl?.hidden) return;
    const hadFocus = this.host?.shadowRoot?.activeElement;
    const focusedName = hadFocus instanceof HTMLElement ? hadFocus.getAttribute('name') : null;
    body.replaceChildren(...this.viewNodes());
    if (moveFocus) this.focusFirst();
    else if (focusedName) body.querySelector<HTMLElement>(`[name="${focusedName}"]`)?.focus();
  }

  private viewNodes(): Node[] {
    const s = this.strings;
    const view = this.view;
    switch (view.kind) {
      case 'compose':
        return this.composeNodes(view.invalid);
      case 'sending':
        return [
          h('p', { class: 'status', role: 'status', tabindex: '-1' }, [
            h('span', { class: 'spinner', 'aria-hidden': 'true' }),
            s.sending,
          ]),
        ];
      case 'queued':
        return [h('p', { class: 'status', role: 'status', tabindex: '-1' }, [s.queuedOffline])];
      case 'error': {
        const retry = h('button', { type: 'button', class: 'primary', name: 'retry' }, [s.retry]);
        retry.addEventListener('click', () => void this.submit());
        return [
          h('p', { class: 'status error', role: 'alert' }, [this.errorText(view.error)]),
          ...this.composeNodes(undefined, false),
          h('div', { class: 'actions' }, [retry]),
        ];
      }
      case 'conversation':
        return this.conversationNodes();
    }
  }

  private composeNodes(invalid?: string, withSend = true): Node[] {
    const s = this.strings;
    const description = h('textarea', {
      id: 'repro-description',
      name: 'description',
      placeholder: s.descriptionHint,
      'aria-invalid': invalid ? 'true' : undefined,
      'aria-describedby': invalid ? 'repro-invalid' : undefined,
      required: true,
    });
    description.value = this.draft.description;
    description.addEventListener('input', () => (this.draft.description = description.value));
    const nodes: Node[] = [
      h('label', { class: 'field', for: 'repro-description' }, [s.description]),
      description,
    ];
    if (invalid) nodes.push(h('p', { class: 'invalid', id: 'repro-invalid' }, [invalid]));
    if (!this.identity.email) {
      const email = h('input', {
        id: 'repro-email',
        name: 'email',
        type: 'email',
        autocomplete: 'email',
      });
      email.value = this.draft.email;
      email.addEventListener('input', () => (this.draft.email = email.value));
      nodes.push(h('label', { class: 'field', for: 'repro-email' }, [s.email]), email);
    }
    if (this.recorder) {
      const include = h('input', {
        type: 'checkbox',
        id: 'repro-include',
        name: 'include',
        checked: this.draft.includeRecording,
      });
      include.checked = this.draft.includeRecording;
      const note = h('p', { class: 'note', id: 'repro-note' }, [
        this.draft.includeRecording
          ? fill(s.attachNote, { minutes: this.windowMinutes })
          : s.attachNoRecording,
      ]);
      include.addEventListener('change', () => {
        this.draft.includeRecording = include.checked;
        note.textContent = include.checked
          ? fill(s.attachNote, { minutes: this.windowMinutes })
          : s.attachNoRecording;
      });
      nodes.push(
        note,
        h('label', { class: 'check', for: 'repro-include' }, [include, s.includeRecording]),
      );
    } else {
      nodes.push(h('p', { class: 'note' }, [s.attachNoRecording]));
    }
    if (withSend) {
      const send = h('button', { type: 'button', class: 'primary', name: 'send' }, [s.send]);
      send.addEventListener('click', () => void this.submit());
      nodes.push(h('div', { class: 'actions' }, [send]));
    }
    return nodes;
  }

  private conversationNodes(): Node[] {
    const s = this.strings;
    const state = this.conversation;
    const nodes: Node[] = [];
    if (state?.filed) {
      const text = state.ticket?.key ? fill(s.filedTicket, { ticket: state.ticket.key }) : s.filed;
      nodes.push(h('p', { class: 'status ok', role: 'status', tabindex: '-1' }, [text]));
    } else if (state?.awaitingReply) {
      nodes.push(h('p', { class: 'status', role: 'status', tabindex: '-1' }, [s.question]));
    } else {
      nodes.push(
        h('p', { class: 'status ok', role: 'status', tabindex: '-1' }, [
          state && state.messages.length ? s.statusWorking : s.sent,
        ]),
      );
      if (!state?.messages.length) nodes.push(h('p', { class: 'note' }, [s.sentDetail]));
    }
    if (state?.messages.length) {
      nodes.push(
        h(
          'ol',
          { class: 'messages', 'aria-live': 'polite' },
          state.messages.map((message) =>
            h('li', { class: `message ${message.author === 'reporter' ? 'reporter' : 'agent'}` }, [
              h('span', { class: 'author' }, [message.author === 'reporter' ? s.you : s.support]),
              message.body,
              questionList(message),
            ]),
          ),
        ),
      );
    }
    if (state?.awaitingReply && !state.filed) {
      const answer = h('textarea', { id: 'repro-answer', name: 'answer' });
      answer.value = this.draft.answer;
      answer.addEventListener('input', () => (this.draft.answer = answer.value));
      const send = h('button', { type: 'button', class: 'primary', name: 'send-answer' }, [
        s.sendAnswer,
      ]);
      send.addEventListener('click', () => void this.answer(send));
      nodes.push(
        h('label', { class: 'field', for: 'repro-answer' }, [s.answer]),
        answer,
        h('div', { class: 'actions' }, [send]),
      );
    } else if (state?.filed || !state) {
      const again = h('button', { type: 'button', class: 'secondary', name: 'new' }, [s.newReport]);
      again.addEventListener('click', () => {
        this.forget();
        this.focusFirst();
      });
      nodes.push(h('div', { class: 'actions' }, [again]));
    }
    return nodes;
  }

  private errorText(error: ReproError): string {
    const s = this.strings;
    switch (error.code) {
      case 'RATE_LIMITED':
      case 'QUOTA_EXCEEDED':
        return s.errorRateLimited;
      case 'VALIDATION_FAILED':
      case 'PAYLOAD_TOO_LARGE':
        return fill(s.errorInvalid, { detail: error.message });
      case 'ORIGIN_NOT_ALLOWED':
      case 'UNAUTHORIZED':
        return s.errorRefused;
      case 'NETWORK_ERROR':
        return s.errorNetwork;
      default:
        return s.errorServer;
    }
  }

  private async submit(): Promise<void> {
    const description = this.draft.description.trim();
    if (!description) {
      this.view = { kind: 'compose', invalid: this.strings.required };
      this.render(true);
      return;
    }
    // One idempotency key for this report, kept across the Retry button.
    const input: ReportInput = {
      description,
      email: this.draft.email.trim() || undefined,
      includeRecording: this.draft.includeRecording,
    };
    if (!this.pendingReport || this.pendingReport.input.description !== description) {
      this.pendingReport = { input, idempotencyKey: uuid() };
    }
    this.view = navigator.onLine === false ? { kind: 'queued' } : { kind: 'sending' };
    this.render(true);
    try {
      await this.report(input, this.pendingReport.idempotencyKey);
    } catch (error) {
      this.view = {
        kind: 'error',
        error: error instanceof ReproError ? error : new ReproError('SERVER_ERROR', String(error)),
      };
      this.render();
      this.bodyEl?.querySelector<HTMLElement>('[name="retry"]')?.focus();
    }
  }

  private async answer(button: HTMLButtonElement): Promise<void> {
    const saved = this.saved();
    const text = this.draft.answer.trim();
    if (!saved || !text) return;
    button.disabled = true;
    try {
      await this.delivery.conversation(
        `/reports/${encodeURIComponent(saved.id)}/messages`,
        saved.token,
        { body: text },
      );
      this.draft.answer = '';
      if (this.conversation) {
        this.conversation = {
          ...this.conversation,
          awaitingReply: false,
          messages: [
            ...this.conversation.messages,
            {
              id: `local-${Date.now()}`,
              author: 'reporter',
              body: text,
              createdAt: new Date().toISOString(),
            },
          ],
        };
      }
      this.render(true);
      window.clearTimeout(this.pollTimer);
      this.poll();
    } catch (error) {
      button.disabled = false;
      const message =
        error instanceof ReproError ? this.errorText(error) : this.strings.errorServer;
      button.parentElement?.before(h('p', { class: 'status error', role: 'alert' }, [message]));
    }
  }
}
