import { EventType, IncrementalSource, MouseInteractions, NodeType } from '@rrweb/types';
import { unpack } from '@rrweb/packer/unpack';
import { DomMirror, type MirrorNode, type SerializedNode } from './dom-mirror';
import { describeEnvironment } from './environment';
import {
  describeTarget,
  isMaskedValue,
  isSensitiveField,
  looksSensitive,
  resolveUrl,
  shortUrl,
  stripQuery,
  truncate,
} from './text';
import {
  type AnalyzerContext,
  type ElementRef,
  type FailedRequest,
  type Failure,
  NAVIGATION_EVENT_TAG,
  type NavigationEventPayload,
  NETWORK_EVENT_TAG,
  type NetworkEventPayload,
  type RecordedError,
  type RecordingAnalysis,
  type Signal,
  type Step,
  type TimelineEntry,
  type Uninterpreted,
} from './types';

/** Signal thresholds. Documented in the README; change them there too. */
export const THRESHOLDS = {
  rageClicks: 3,
  rageWindowMs: 1_000,
  deadClickMs: 1_500,
  errorBurst: 3,
  errorBurstWindowMs: 2_000,
  /** A link click and the navigation it causes are one step when this close. */
  linkNavigationMs: 2_000,
  /** Consecutive resizes (a window being dragged) are one change. */
  resizeSettleMs: 1_000,
} as const;

/**
 * rrweb's id for a node it did not record: inside a blocked element (`data-repro-block`, the
 * widget's own panel). The customer's use of such parts is left out on purpose, not a puzzle.
 */
const UNRECORDED = -1;
/** Another tab's recording starts at most this long before the latest event seen. */
const OTHER_WINDOW_MAX_BACK_MS = 24 * 60 * 60 * 1000;
const CONSOLE_PLUGIN = 'rrweb/console@1';
const MAX_MESSAGE = 500;
const MAX_STACK = 10;
const MAX_TYPED = 40;

interface RawEvent {
  type: EventType;
  data: unknown;
  timestamp: number;
}

interface Action {
  t: number;
  kind: 'navigation' | 'reload' | 'click' | 'input' | 'scroll' | 'viewport';
  text: string;
  count: number;
  target?: ElementRef;
  url?: string;
  /** Merge key: consecutive actions with the same key collapse into one step. */
  key: string;
}

interface InputSession {
  id: number;
  t: number;
  ref: ElementRef;
  attrs: Record<string, string> | null;
  role: string;
  value: string;
  checked: boolean;
  masked: boolean;
}

interface PendingClick {
  t: number;
  ref: ElementRef;
}

interface Burst {
  key: string;
  first: number;
  last: number;
  signal: Signal;
  entry?: TimelineEntry;
}

function isRawEvent(value: unknown): value is RawEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Partial<RawEvent>;
  return (
    typeof event.type === 'number' &&
    typeof event.timestamp === 'number' &&
    Number.isFinite(event.timestamp)
  );
}

/** Adds and removes past which rrweb's serialization delays a mutation's timestamp noticeably. */
const BIG_MUTATION = 1_000;

function isBigMutation(event: RawEvent): boolean {
  if (event.type !== EventType.IncrementalSnapshot) return false;
  const data = event.data as { source?: unknown; adds?: unknown; removes?: unknown } | null;
  if (data?.source !== IncrementalSource.Mutation) return false;
  const size = (list: unknown) => (Array.isArray(list) ? list.length : 0);
  return size(data.adds) + size(data.removes) >= BIG_MUTATION;
}

function consoleText(item: unknown): string {
  if (typeof item !== 'string') return JSON.stringify(item) ?? String(item);
  try {
    const parsed: unknown = JSON.parse(item);
    return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
  } catch {
    return item;
  }
}

/**
 * Reads an rrweb recording event by event, keeping a mirror of the page, and produces what an
 * engineer needs to reproduce the bug: steps, errors, failed requests, signals, the moment of
 * failure. Pure: no I/O, and it never throws on malformed input; what it cannot read it lists.
 */
export class RecordingAnalyzer {
  private readonly mirror = new DomMirror();
  private readonly timeline: TimelineEntry[] = [];
  private readonly actions: Action[] = [];
  private readonly errors: RecordedError[] = [];
  private readonly failedRequests: FailedRequest[] = [];
  private readonly signals: Signal[] = [];
  private readonly uninterpreted = new Map<string, Uninterpreted>();
  private readonly urlChanges: { t: number; url: string }[] = [];
  /** Arrival order of errors and failed requests, to break ties of equal timestamps. */
  private readonly arrival = new WeakMap<object, number>();

  private events = 0;
  private startTs: number | null = null;
  private lastTs = 0;
  /** The latest time seen in any window, and the earliest (a later window may start earlier). */
  private endT = 0;
  private minT = 0;
  /** The next Meta event starts another window's (tab's) recording. */
  private otherWindow = false;
  private outOfOrder = 0;
  private currentUrl: string | null = null;
  private startUrl: string | null = null;
  private viewport: { width: number; height: number } | null = null;
  private pendingMeta: { t: number; href: string; width: number; height: number } | null = null;
  private input: InputSession | null = null;
  private scroll: { t: number; id: number; firstY: number; lastY: number } | null = null;
  private resize: {
    t: number;
    last: number;
    width: number;
    height: number;
    from: { width: number; height: number } | null;
  } | null = null;
  /** Last known scroll position of each scrolled node, so a scroll knows where it started. */
  private scrollY = new Map<number, number>();
  /** The last page load after the first, until a `repro/navigation` event says what it was. */
  private lastLoad: {
    t: number;
    href: string;
    action?: Action;
    entry?: TimelineEntry;
  } | null = null;
  private pendingClicks: PendingClick[] = [];
  private lastDeadClick: { target: string; lastT: number; signal: Signal } | null = null;
  private recentClicks: { t: number; key: string }[] = [];
  private rage: Burst | null = null;
  private errorBurst: Burst | null = null;
  private lastLinkClick: { t: number; url: string } | null = null;
  /** A URL reached by clicking a link; a page load of it is that navigation, not a reload. */
  private unconfirmedLinkUrl: string | null = null;

  constructor(private readonly context: AnalyzerContext = {}) {}

  /** Feeds one event (an rrweb event object, or a string packed by @rrweb/packer). */
  push(raw: unknown): void {
    this.events++;
    let event = raw;
    if (typeof event === 'string') {
      // Packed events are zlib streams (first byte 0x78) or JSON; unpack logs anything else.
      const first = event.charCodeAt(0);
      if (first !== 0x78 && first !== 0x7b) {
        this.note('unreadable packed event');
        return;
      }
      try {
        event = unpack(event);
      } catch {
        this.note('unreadable packed event');
        return;
      }
    }
    if (!isRawEvent(event)) {
      this.note('malformed event (no type or timestamp)');
      return;
    }
    if (this.startTs === null) this.startTs = event.timestamp;
    let t = event.timestamp - this.startTs;
    if (t < this.lastTs) {
      // A page load back in time: another tab's recording, appended after this one's; unless it
      // is further back than any tab's buffer could be (a broken clock, a forged timestamp).
      if (event.type === EventType.Meta && this.lastTs - t <= OTHER_WINDOW_MAX_BACK_MS)
        this.startWindow();
      else {
        this.outOfOrder++;
        t = this.lastTs;
      }
    }
    this.lastTs = t;
    if (t > this.endT) this.endT = t;
    if (t < this.minT) this.minT = t;
    // rrweb stamps a mutation once it has serialized it, which for thousands of nodes takes a
    // second or more of a blocked page: the change itself came first, and answers the clicks.
    if (isBigMutation(event)) this.activity(t);
    this.settleDeadClicks(t);
    if (this.resize && t - this.resize.last > THRESHOLDS.resizeSettleMs) this.closeResize();
    if (event.type !== EventType.FullSnapshot && this.pendingMeta) this.resolveMeta(false, 0, 0);
    try {
      this.dispatch(event, t);
    } catch {
      // Real recordings hold every shape imaginable; one bad event must not lose the rest.
      this.note(`event of type ${event.type} that could not be read`, t);
    }
  }

  finish(): RecordingAnalysis {
    if (this.pendingMeta) this.resolveMeta(false, 0, 0);
    this.endWindow();
    this.shiftTimes();
    const end = this.endT - this.minT;
    if (this.outOfOrder)
      this.note(
        `events with timestamps out of order (kept in arrival order)`,
        undefined,
        this.outOfOrder,
      );
    if (this.mirror.missing)
      this.note('DOM changes that referenced nodes never seen', undefined, this.mirror.missing);

    this.timeline.sort((a, b) => a.t - b.t);
    this.signals.sort((a, b) => a.t - b.t);
    this.urlChanges.sort((a, b) => a.t - b.t);
    const failure = this.events ? this.failureMoment() : null;
    const steps = this.steps(failure);
    return {
      version: 1,
      startedAt: this.startTs === null ? null : this.startTs + this.minT,
      startUrl: this.startUrl,
      timeline: this.timeline,
      steps,
      errors: this.errors,
      failedRequests: this.failedRequests,
      signals: this.signals,
      failure,
      environment: describeEnvironment(this.context, this.viewport),
      uninterpreted: [...this.uninterpreted.values()],
      stats: { events: this.events, bytes: this.context.bytes ?? 0, ms: end },
    };
  }

  /** Closes what the window in progress left open: its typing, scroll, resize, clicks. */
  private endWindow(): void {
    this.closeInput();
    this.closeScroll();
    this.closeResize();
    const end = this.lastTs;
    for (const click of this.pendingClicks) {
      if (end - click.t >= THRESHOLDS.deadClickMs) this.deadClick(click);
    }
    this.pendingClicks = [];
  }

  private startWindow(): void {
    if (this.pendingMeta) this.resolveMeta(false, 0, 0);
    this.endWindow();
    this.otherWindow = true;
    this.recentClicks = [];
    this.rage = null;
    this.errorBurst = null;
    this.lastLinkClick = null;
    this.unconfirmedLinkUrl = null;
    this.lastLoad = null;
    this.lastDeadClick = null;
  }

  /** Times count from the first event of any window; a window that began earlier moves them. */
  private shiftTimes(): void {
    const shift = -this.minT;
    if (!shift) return;
    const items: { t?: number }[][] = [
      this.timeline,
      this.actions,
      this.errors,
      this.failedRequests,
      this.signals,
      this.urlChanges,
      [...this.uninterpreted.values()],
    ];
    for (const list of items) for (const item of list) if (item.t !== undefined) item.t += shift;
  }

  private dispatch(event: RawEvent, t: number): void {
    switch (event.type) {
      case EventType.Meta:
        return this.onMeta(event.data as { href?: unknown; width?: unknown; height?: unknown }, t);
      case EventType.FullSnapshot:
        return this.onFullSnapshot(event.data as { node?: SerializedNode }, t);
      case EventType.IncrementalSnapshot:
        return this.onIncremental(event.data as { source?: unknown }, t);
      case EventType.Custom:
        return this.onCustom(event.data as { tag?: unknown; payload?: unknown }, t);
      case EventType.Plugin:
        return this.onPlugin(event.data as { plugin?: unknown; payload?: unknown }, t);
      case EventType.DomContentLoaded:
      case EventType.Load:
      case EventType.Asset:
      case EventType.Annotation:
        return;
      default:
        this.note(`unknown event type ${String(event.type)}`, t);
    }
  }

  // Navigation

  private onMeta(data: { href?: unknown; width?: unknown; height?: unknown }, t: number): void {
    if (typeof data?.href !== 'string') {
      this.note('meta event without a URL', t);
      return;
    }
    this.pendingMeta = {
      t,
      href: data.href,
      width: typeof data.width === 'number' ? data.width : 0,
      height: typeof data.height === 'number' ? data.height : 0,
    };
  }

  /**
   * A Meta event starts every page load, but also every rrweb checkout (a periodic full
   * snapshot of the same page). A checkout keeps the page's node ids, so its snapshot has ids
   * beyond its node count; a fresh load numbers nodes from 1.
   */
  private resolveMeta(afterSnapshot: boolean, nodeCount: number, maxId: number): void {
    const meta = this.pendingMeta!;
    this.pendingMeta = null;
    if (meta.width && meta.height && !this.resize)
      this.viewport = { width: meta.width, height: meta.height };
    const looksLikeCheckout = afterSnapshot && maxId > nodeCount;
    if (this.otherWindow) {
      this.otherWindow = false;
      this.setUrl(meta.t, meta.href);
      const text = `Opened ${stripQuery(meta.href)} in another tab`;
      this.addAction({
        t: meta.t,
        kind: 'navigation',
        text,
        count: 1,
        url: meta.href,
        key: `tab:${meta.t}`,
      });
      this.timeline.push({ t: meta.t, kind: 'navigation', text, url: meta.href });
      return;
    }
    if (this.startUrl === null) {
      this.startUrl = meta.href;
      this.setUrl(meta.t, meta.href);
      this.addAction({
        t: meta.t,
        kind: 'navigation',
        text: `Opened ${stripQuery(meta.href)}`,
        count: 1,
        url: meta.href,
        key: `nav:${meta.href}`,
      });
      this.timeline.push({
        t: meta.t,
        kind: 'navigation',
        text: `Opened ${stripQuery(meta.href)}`,
        url: meta.href,
      });
      return;
    }
    const linkLoad = meta.href === this.unconfirmedLinkUrl;
    this.unconfirmedLinkUrl = null;
    if (looksLikeCheckout && meta.href === this.currentUrl) return;
    this.lastLoad = { t: meta.t, href: meta.href };
    if (linkLoad) return;
    if (meta.href === this.currentUrl) return this.reload(meta.t, meta.href);
    const actions = this.actions.length;
    const entries = this.timeline.length;
    this.navigate(meta.t, meta.href, 'load');
    if (this.actions.length > actions) this.lastLoad.action = this.actions.at(-1);
    if (this.timeline.length > entries) this.lastLoad.entry = this.timeline.at(-1);
  }

  /**
   * The page said how it was loaded (Navigation Timing): a reload of a URL the recording never
   * saw the page reach (an SPA route changed without a navigation event) is a reload, not a
   * navigation to that URL.
   */
  private loadWasReload(t: number, href: string): boolean {
    const load = this.lastLoad;
    this.lastLoad = null;
    if (!load || load.href !== href || t - load.t > THRESHOLDS.linkNavigationMs) return false;
    if (load.action) this.actions.splice(this.actions.indexOf(load.action), 1);
    if (load.entry) this.timeline.splice(this.timeline.indexOf(load.entry), 1);
    this.reload(load.t, href);
    return true;
  }

  /** The user went on using the page after clicking a link: the link did not load a new one. */
  private stayedOnPage(): void {
    this.unconfirmedLinkUrl = null;
  }

  private reload(t: number, href: string): void {
    this.closeScroll();
    const last = this.timeline.at(-1);
    if (last?.kind === 'reload' && t - last.t < THRESHOLDS.linkNavigationMs) return;
    this.activity(t);
    this.closeInput();
    const where = shortUrl(href, null);
    this.timeline.push({ t, kind: 'reload', text: `Reloaded ${where}`, url: href });
    this.addAction({
      t,
      kind: 'reload',
      text: 'Reloaded the page',
      count: 1,
      url: href,
      key: `reload:${t}`,
    });
    this.signals.push({ kind: 'reload', t, target: stripQuery(href), text: `Reloaded ${where}` });
  }

  private navigate(t: number, href: string, how: string): void {
    if (how !== 'load') this.stayedOnPage();
    if (href === this.currentUrl) return;
    this.closeScroll();
    this.unconfirmedLinkUrl = null;
    const from = this.currentUrl;
    this.setUrl(t, href);
    this.activity(t);
    this.closeInput();
    const text = `Navigated to ${shortUrl(href, from)}`;
    this.timeline.push({ t, kind: 'navigation', text, url: href });
    const fromLink = this.lastLinkClick;
    if (fromLink && fromLink.url === href && t - fromLink.t <= THRESHOLDS.linkNavigationMs) return;
    this.addAction({ t, kind: 'navigation', text, count: 1, url: href, key: `nav:${how}:${href}` });
  }

  private setUrl(t: number, url: string): void {
    this.currentUrl = url;
    this.urlChanges.push({ t, url });
  }

  private onFullSnapshot(data: { node?: SerializedNode }, t: number): void {
    if (!data?.node) {
      this.note('full snapshot without a document', t);
      return;
    }
    this.mirror.reset();
    this.scrollY.clear();
    const offset = (data as { initialOffset?: { top?: unknown } }).initialOffset?.top;
    if (typeof offset === 'number') this.scrollY.set(data.node.id, offset);
    const { count, maxId } = this.countTree(data.node);
    this.mirror.add(data.node, 0);
    if (this.pendingMeta) this.resolveMeta(true, count, maxId);
    this.activity(t);
  }

  private countTree(root: SerializedNode): { count: number; maxId: number } {
    let count = 0;
    let maxId = 0;
    const stack = [root];
    while (stack.length) {
      const node = stack.pop()!;
      count++;
      if (node.id > maxId) maxId = node.id;
      if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
    }
    return { count, maxId };
  }

  // Incremental snapshots

  private onIncremental(data: { source?: unknown }, t: number): void {
    switch (data?.source as IncrementalSource) {
      case IncrementalSource.Mutation:
        return this.onMutation(data as MutationData, t);
      case IncrementalSource.MouseInteraction:
        return this.onMouse(data as { type?: unknown; id?: unknown }, t);
      case IncrementalSource.Scroll:
        return this.onScroll(data as { id?: unknown; y?: unknown }, t);
      case IncrementalSource.ViewportResize:
        return this.onResize(data as { width?: unknown; height?: unknown }, t);
      case IncrementalSource.Input:
        return this.onInput(data as { id?: unknown; text?: unknown; isChecked?: unknown }, t);
      case IncrementalSource.Log:
        // rrweb 0.x wrote console logs here; same shape as the console plugin's payload.
        return this.onConsole(data as ConsolePayload, t);
      case IncrementalSource.MouseMove:
      case IncrementalSource.TouchMove:
      case IncrementalSource.Drag:
      case IncrementalSource.MediaInteraction:
      case IncrementalSource.StyleSheetRule:
      case IncrementalSource.CanvasMutation:
      case IncrementalSource.Font:
      case IncrementalSource.StyleDeclaration:
      case IncrementalSource.Selection:
      case IncrementalSource.AdoptedStyleSheet:
      case IncrementalSource.CustomElement:
        return;
      default:
        this.note(`unknown incremental source ${String(data?.source)}`, t);
    }
  }

  private onMutation(data: MutationData, t: number): void {
    let changed = false;
    for (const remove of data.removes ?? []) {
      this.mirror.remove(remove.id);
      changed = true;
    }
    // Adds may arrive child-before-parent; retry until no more can be placed (as rrweb does).
    // Each pass places what it can, in order, and keeps the rest for the next.
    let pending: MutationAdd[] = [];
    for (const add of data.adds ?? []) {
      if (!add?.node || typeof add.node.id !== 'number') continue;
      changed = true;
      if (add.parentId && !this.mirror.get(add.parentId)) pending.push(add);
      else this.mirror.add(add.node, add.parentId, add.nextId ?? null);
    }
    while (pending.length) {
      const next: MutationAdd[] = [];
      for (const add of pending) {
        if (this.mirror.get(add.parentId))
          this.mirror.add(add.node, add.parentId, add.nextId ?? null);
        else next.push(add);
      }
      if (next.length === pending.length) break;
      pending = next;
    }
    for (const orphan of pending) this.mirror.add(orphan.node, orphan.parentId, null);
    for (const text of data.texts ?? []) {
      this.mirror.setText(text.id, text.value);
      changed = true;
    }
    for (const attribute of data.attributes ?? []) {
      if (attribute?.attributes) this.mirror.setAttributes(attribute.id, attribute.attributes);
      changed = true;
    }
    if (changed || pending.length) this.activity(t);
  }

  private onMouse(data: { type?: unknown; id?: unknown }, t: number): void {
    if (typeof data?.id !== 'number') return;
    switch (data.type as MouseInteractions) {
      case MouseInteractions.Click:
        return this.onClick(data.id, t);
      case MouseInteractions.Blur:
        if (this.input?.id === data.id) this.closeInput();
        return;
      default:
        return;
    }
  }

  private onClick(id: number, t: number): void {
    if (id === UNRECORDED) return;
    const node = this.mirror.interactiveAncestor(id);
    if (!node) {
      this.note('clicks on elements never seen', t);
      return;
    }
    if (this.input && this.input.id !== node.id) this.closeInput();
    this.closeScroll();
    this.stayedOnPage();
    if (node.tag === 'html' || node.tag === 'body') {
      // A click on the page's background: worth a line in the timeline, not a step.
      this.timeline.push({
        t,
        kind: 'click',
        text: 'Clicked the page background',
        url: this.currentUrl ?? undefined,
      });
      return;
    }
    const ref = this.mirror.describe(node);
    const target = describeTarget(ref);
    const href = ref.role === 'link' && ref.href ? resolveUrl(ref.href, this.currentUrl) : null;
    let text = `Clicked ${target}`;
    if (href) {
      text += ` (→ ${shortUrl(href, this.currentUrl)})`;
      this.lastLinkClick = { t, url: href };
    }
    this.timeline.push({ t, kind: 'click', text, target: ref, url: this.currentUrl ?? undefined });
    if (!this.mirror.isFormField(node)) {
      this.addAction({
        t,
        kind: 'click',
        text,
        count: 1,
        target: ref,
        url: this.currentUrl ?? undefined,
        key: `click:${node.id}:${text}`,
      });
    }
    this.trackRage(t, node, ref, target);
    if (ref.role !== 'element' && !this.mirror.isFormField(node) && !href)
      this.pendingClicks.push({ t, ref });
    // A same-page link (#anchor, or the page itself) changes nothing worth a navigation.
    if (href && stripQuery(href) !== stripQuery(this.currentUrl ?? ''))
      this.navigateByLink(t, href);
  }

  /** Single-page apps change the URL with pushState and leave no Meta event: the link says where. */
  private navigateByLink(t: number, href: string): void {
    const text = `Navigated to ${shortUrl(href, this.currentUrl)}`;
    this.setUrl(t, href);
    this.unconfirmedLinkUrl = href;
    this.activity(t);
    this.timeline.push({ t, kind: 'navigation', text, url: href });
  }

  private trackRage(t: number, node: MirrorNode, ref: ElementRef, target: string): void {
    const key = String(node.id);
    this.recentClicks = this.recentClicks.filter((c) => t - c.t <= THRESHOLDS.rageWindowMs);
    this.recentClicks.push({ t, key });
    const inWindow = this.recentClicks.filter((c) => c.key === key).length;
    if (this.rage && this.rage.key === key && t - this.rage.last <= THRESHOLDS.rageWindowMs) {
      this.rage.last = t;
      const count = (this.rage.signal.count ?? 0) + 1;
      this.rage.signal.count = count;
      this.rage.signal.text = `Clicked ${target} ${count} times within ${((t - this.rage.first) / 1000).toFixed(1)} s`;
      return;
    }
    if (inWindow >= THRESHOLDS.rageClicks) {
      const first = this.recentClicks.find((c) => c.key === key)!.t;
      const signal: Signal = {
        kind: 'rage_click',
        t: first,
        target,
        text: `Clicked ${target} ${inWindow} times within ${((t - first) / 1000).toFixed(1)} s`,
        count: inWindow,
      };
      this.signals.push(signal);
      this.timeline.push({
        t: first,
        kind: 'signal',
        text: `Rage click on ${target}`,
        target: ref,
      });
      this.rage = { key, first, last: t, signal };
    }
  }

  private settleDeadClicks(now: number): void {
    if (!this.pendingClicks.length) return;
    const stillOpen: PendingClick[] = [];
    for (const click of this.pendingClicks) {
      if (now - click.t > THRESHOLDS.deadClickMs) this.deadClick(click);
      else stillOpen.push(click);
    }
    this.pendingClicks = stillOpen;
  }

  private deadClick(click: PendingClick): void {
    const target = describeTarget(click.ref);
    // Repeated clicks on the same unresponsive element are one dead click, counted.
    const previous = this.lastDeadClick;
    if (
      previous &&
      previous.target === target &&
      click.t - previous.lastT <= THRESHOLDS.deadClickMs
    ) {
      previous.lastT = click.t;
      previous.signal.count = (previous.signal.count ?? 1) + 1;
      return;
    }
    const signal: Signal = {
      kind: 'dead_click',
      t: click.t,
      target,
      text: `Clicked ${target}; nothing changed on the page or the network for ${THRESHOLDS.deadClickMs / 1000} s`,
      count: 1,
    };
    this.signals.push(signal);
    this.lastDeadClick = { target, lastT: click.t, signal };
    this.timeline.push({
      t: click.t,
      kind: 'signal',
      text: `Dead click on ${target}`,
      target: click.ref,
    });
  }

  /** Something visible happened: clicks waiting for a reaction got one. */
  private activity(t: number): void {
    if (this.pendingClicks.length) this.pendingClicks = this.pendingClicks.filter((c) => c.t > t);
  }

  private onScroll(data: { id?: unknown; y?: unknown }, t: number): void {
    if (typeof data?.id !== 'number' || typeof data.y !== 'number') return;
    this.activity(t);
    this.stayedOnPage();
    const before = this.scrollY.get(data.id) ?? 0;
    this.scrollY.set(data.id, data.y);
    if (this.scroll && this.scroll.id === data.id) {
      this.scroll.lastY = data.y;
      return;
    }
    this.closeScroll();
    // rrweb reports where a scroll ended up; it started where the last one left off.
    this.scroll = { t, id: data.id, firstY: before, lastY: data.y };
  }

  private closeScroll(): void {
    const scroll = this.scroll;
    if (!scroll) return;
    this.scroll = null;
    const node = this.mirror.get(scroll.id);
    const isPage =
      !node || node.type === NodeType.Document || node.tag === 'html' || node.tag === 'body';
    const direction = scroll.lastY >= scroll.firstY ? 'down' : 'up';
    const text = isPage
      ? `Scrolled ${direction} the page`
      : `Scrolled ${direction} in ${this.mirror.selector(node)}`;
    this.timeline.push({ t: scroll.t, kind: 'scroll', text });
    this.addAction({ t: scroll.t, kind: 'scroll', text, count: 1, key: `scroll:${text}` });
  }

  private onResize(data: { width?: unknown; height?: unknown }, t: number): void {
    if (typeof data?.width !== 'number' || typeof data.height !== 'number') return;
    this.activity(t);
    if (this.resize && t - this.resize.last <= THRESHOLDS.resizeSettleMs) {
      Object.assign(this.resize, { last: t, width: data.width, height: data.height });
      return;
    }
    this.closeResize();
    this.resize = { t, last: t, width: data.width, height: data.height, from: this.viewport };
  }

  private closeResize(): void {
    const resize = this.resize;
    if (!resize) return;
    this.resize = null;
    // The size before the first resize of the drag (the Meta event's, or the last resize's).
    const from = resize.from;
    this.viewport = { width: resize.width, height: resize.height };
    const size = `${resize.width}×${resize.height}`;
    const text = `Resized the window to ${size}`;
    this.timeline.push({ t: resize.t, kind: 'viewport', text });
    this.addAction({ t: resize.t, kind: 'viewport', text, count: 1, key: `viewport:${resize.t}` });
    this.signals.push({
      kind: 'viewport',
      t: resize.t,
      target: size,
      text: from
        ? `Viewport changed from ${from.width}×${from.height} to ${size}`
        : `Viewport ${size}`,
    });
  }

  private onInput(data: { id?: unknown; text?: unknown; isChecked?: unknown }, t: number): void {
    if (typeof data?.id !== 'number' || data.id === UNRECORDED) return;
    this.activity(t);
    this.stayedOnPage();
    const value = typeof data.text === 'string' ? data.text : '';
    if (this.input?.id === data.id) {
      this.input.value = value;
      this.input.checked = data.isChecked === true;
      this.input.masked ||= isMaskedValue(value);
      return;
    }
    this.closeInput();
    this.closeScroll();
    const node = this.mirror.get(data.id);
    if (!node) {
      this.note('input into fields never seen', t);
      return;
    }
    const ref = this.mirror.describe(node);
    this.input = {
      id: data.id,
      t,
      ref,
      attrs: node.attrs,
      role: ref.role,
      value,
      checked: data.isChecked === true,
      masked: isMaskedValue(value),
    };
    // Radio buttons and checkboxes are one action each.
    if (ref.role === 'checkbox' || ref.role === 'radio') this.closeInput();
  }

  private closeInput(): void {
    const input = this.input;
    if (!input) return;
    this.input = null;
    const label = input.ref.name ? `"${input.ref.name}"` : `(${input.ref.selector})`;
    let text: string;
    if (input.role === 'checkbox') text = `${input.checked ? 'Checked' : 'Unchecked'} ${label}`;
    else if (input.role === 'radio') text = `Selected ${label}`;
    else {
      const echo =
        !input.masked &&
        input.value.length > 0 &&
        !isSensitiveField(input.attrs, input.ref.name) &&
        !looksSensitive(input.value);
      const verb = input.role === 'combobox' ? 'Selected' : 'Typed';
      const into = input.role === 'combobox' ? 'in' : 'into';
      text = echo
        ? `${verb} "${truncate(input.value, MAX_TYPED)}" ${into} ${label}`
        : `${verb === 'Typed' ? 'Typed into' : 'Changed'} ${label}`;
    }
    this.timeline.push({
      t: input.t,
      kind: 'input',
      text,
      target: input.ref,
      url: this.currentUrl ?? undefined,
    });
    this.addAction({
      t: input.t,
      kind: 'input',
      text,
      count: 1,
      target: input.ref,
      key: `input:${input.id}:${text}`,
    });
  }

  // Custom and plugin events

  private onCustom(data: { tag?: unknown; payload?: unknown }, t: number): void {
    switch (data?.tag) {
      case NAVIGATION_EVENT_TAG:
        return this.onNavigationEvent(data.payload as Partial<NavigationEventPayload>, t);
      case NETWORK_EVENT_TAG:
        return this.onNetworkEvent(data.payload as Partial<NetworkEventPayload>, t);
      default:
        this.note(`custom event "${typeof data?.tag === 'string' ? data.tag : '?'}"`, t);
    }
  }

  private onNavigationEvent(payload: Partial<NavigationEventPayload>, t: number): void {
    if (typeof payload?.href !== 'string') {
      this.note(`${NAVIGATION_EVENT_TAG} event without href`, t);
      return;
    }
    if (payload.trigger === 'reload') {
      if (this.loadWasReload(t, payload.href)) return;
      return this.reload(t, payload.href);
    }
    if (payload.trigger === 'load') {
      this.lastLoad = null;
      return this.navigate(t, payload.href, 'load');
    }
    this.navigate(t, payload.href, payload.trigger ?? 'pushState');
  }

  private onNetworkEvent(payload: Partial<NetworkEventPayload>, t: number): void {
    if (typeof payload?.url !== 'string' || typeof payload.status !== 'number') {
      this.note(`${NETWORK_EVENT_TAG} event without url or status`, t);
      return;
    }
    this.activity(t);
    if (payload.status !== 0 && payload.status < 400) return;
    const method = (typeof payload.method === 'string' ? payload.method : 'GET').toUpperCase();
    const url = stripQuery(payload.url);
    const durationMs = typeof payload.durationMs === 'number' ? Math.round(payload.durationMs) : 0;
    const request: FailedRequest = { t, method, url, status: payload.status, durationMs };
    if (typeof payload.error === 'string') request.error = payload.error;
    this.failedRequests.push(request);
    this.arrival.set(request, this.events);
    const outcome =
      payload.status === 0
        ? `failed${request.error ? ` (${request.error})` : ''}`
        : `→ ${payload.status}`;
    this.timeline.push({
      t,
      kind: 'request',
      text: `${method} ${shortUrl(url, this.currentUrl)} ${outcome} (${durationMs} ms)`,
      url,
    });
  }

  private onPlugin(data: { plugin?: unknown; payload?: unknown }, t: number): void {
    if (data?.plugin === CONSOLE_PLUGIN) return this.onConsole(data.payload as ConsolePayload, t);
    this.note(`plugin event "${typeof data?.plugin === 'string' ? data.plugin : '?'}"`, t);
  }

  private onConsole(payload: ConsolePayload, t: number): void {
    const level = payload?.level;
    if (level !== 'error' && level !== 'warn' && level !== 'assert') return;
    const parts = Array.isArray(payload.payload) ? payload.payload.map(consoleText) : [];
    const message = truncate(parts.join(' ').trim() || '(empty message)', MAX_MESSAGE);
    const uncaught = /^Uncaught\b/.test(message);
    const error: RecordedError = {
      t,
      level: level === 'warn' ? 'warn' : 'error',
      message,
      uncaught,
      stack: Array.isArray(payload.trace)
        ? payload.trace.filter((f): f is string => typeof f === 'string').slice(0, MAX_STACK)
        : [],
      url: this.currentUrl,
    };
    this.errors.push(error);
    this.arrival.set(error, this.events);
    const rejection = /^Uncaught \(in promise\)/.test(message);
    const label = rejection
      ? 'Unhandled promise rejection'
      : uncaught
        ? 'Uncaught error'
        : error.level === 'warn'
          ? 'Console warning'
          : 'Console error';
    const shown = uncaught ? message.replace(/^Uncaught\s*(\(in promise\)\s*)?/, '') : message;
    this.timeline.push({
      t,
      kind: 'error',
      text: `${label}: ${shown}`,
      url: this.currentUrl ?? undefined,
    });
    if (error.level === 'error') this.trackErrorBurst(t);
  }

  private trackErrorBurst(t: number): void {
    const burst = this.errorBurst;
    if (burst && t - burst.last <= THRESHOLDS.errorBurstWindowMs) {
      burst.last = t;
      burst.signal.count = (burst.signal.count ?? 0) + 1;
      burst.signal.text = `${burst.signal.count} errors within ${((t - burst.first) / 1000).toFixed(1)} s`;
      if (burst.entry) burst.entry.text = `Error burst: ${burst.signal.text}`;
      return;
    }
    // Errors are in time order (push clamps t): look back only as far as the window reaches.
    let count = 0;
    let first = t;
    for (let i = this.errors.length - 1; i >= 0; i--) {
      const error = this.errors[i];
      if (t - error.t > THRESHOLDS.errorBurstWindowMs) break;
      if (error.level === 'error') {
        count++;
        first = error.t;
      }
    }
    if (count < THRESHOLDS.errorBurst) return;
    const signal: Signal = {
      kind: 'error_burst',
      t: first,
      target: this.currentUrl ? stripQuery(this.currentUrl) : null,
      text: `${count} errors within ${((t - first) / 1000).toFixed(1)} s`,
      count,
    };
    this.signals.push(signal);
    const entry: TimelineEntry = { t: first, kind: 'signal', text: `Error burst: ${signal.text}` };
    this.timeline.push(entry);
    this.errorBurst = { key: 'errors', first, last: t, signal, entry };
  }

  // Results

  private addAction(action: Action): void {
    this.actions.push(action);
  }

  /**
   * Actions in time order: a scroll, a typed value or a window resize is listed when it ends,
   * after whatever started meanwhile, and tabs interleave. Sorted (stably) by when each began;
   * then repeats of the same click or scroll, one after the other, collapse into one step.
   */
  private orderedActions(): Action[] {
    const sorted = [...this.actions].sort((a, b) => a.t - b.t);
    const merged: Action[] = [];
    for (const action of sorted) {
      const last = merged.at(-1);
      if (last && last.key === action.key && (action.kind === 'click' || action.kind === 'scroll'))
        last.count += action.count;
      else merged.push({ ...action });
    }
    return merged;
  }

  private failureMoment(): Failure | null {
    const lastAction = [...this.timeline]
      .reverse()
      .find((e) => e.kind === 'click' || e.kind === 'input');
    const since = lastAction?.t ?? 0;
    const error = this.errors.find((e) => e.level === 'error' && e.t >= since);
    const request = this.failedRequests.find((r) => r.t >= since);
    // Same millisecond: whichever the page recorded first (a request, then the app's reaction).
    const errorFirst =
      error &&
      (!request ||
        error.t < request.t ||
        (error.t === request.t && this.arrival.get(error)! < this.arrival.get(request)!));
    if (error && errorFirst) {
      return { t: error.t, url: this.urlAt(error.t), reason: 'error', text: error.message };
    }
    if (request) {
      const outcome = request.status ? `${request.status}` : 'no response';
      return {
        t: request.t,
        url: this.urlAt(request.t),
        reason: 'failed_request',
        text: `${request.method} ${request.url} → ${outcome}`,
      };
    }
    // A signal of trouble (a dead or rage click, an error burst); a reload or a resize is not one.
    const signal = [...this.signals]
      .reverse()
      .find((s) => s.kind !== 'reload' && s.kind !== 'viewport');
    if (signal)
      return { t: signal.t, url: this.urlAt(signal.t), reason: 'signal', text: signal.text };
    return null;
  }

  private urlAt(t: number): string | null {
    let url: string | null = null;
    for (const change of this.urlChanges) {
      if (change.t > t) break;
      url = change.url;
    }
    return url;
  }

  private steps(failure: Failure | null): Step[] {
    // After an error the rest is not reproduction; a signal or the end cuts nothing.
    const cutoff =
      failure && (failure.reason === 'error' || failure.reason === 'failed_request')
        ? failure.t
        : Infinity;
    return this.orderedActions()
      .filter((a) => a.t <= cutoff)
      .map((action, index) => {
        const text = action.count > 1 ? `${action.text} ${action.count} times` : action.text;
        const step: Step = { n: index + 1, t: action.t, text, count: action.count };
        if (action.target) step.target = action.target;
        if (action.url) step.url = action.url;
        return step;
      });
  }

  private note(what: string, t?: number, count = 1): void {
    const existing = this.uninterpreted.get(what);
    if (existing) existing.count += count;
    else this.uninterpreted.set(what, t === undefined ? { what, count } : { what, count, t });
  }
}

interface MutationAdd {
  parentId: number;
  nextId?: number | null;
  node: SerializedNode;
}

interface MutationData {
  removes?: { id: number; parentId: number }[];
  adds?: MutationAdd[];
  texts?: { id: number; value: string | null }[];
  attributes?: { id: number; attributes: Record<string, unknown> }[];
}

interface ConsolePayload {
  level?: string;
  trace?: unknown[];
  payload?: unknown[];
}

/** Analyses a whole recording held in memory. */
export function analyzeRecording(
  events: Iterable<unknown>,
  context: AnalyzerContext = {},
): RecordingAnalysis {
  const analyzer = new RecordingAnalyzer(context);
  for (const event of events) analyzer.push(event);
  return analyzer.finish();
}
