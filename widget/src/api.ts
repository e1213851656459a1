/** The public API, shared by the script tag's `window.Repro` and the ES module's exports. */
import { ReproError } from './delivery';
import {
  Widget,
  type EventName,
  type Identity,
  type InitOptions,
  type ReportInput,
} from './widget';

export type { EventName, Identity, InitOptions, ReportInput, ReportState, Message } from './widget';
export type { Strings } from './strings';
export { ReproError };

let widget: Widget | null = null;
const early: { name: EventName; listener: (detail: unknown) => void }[] = [];
let identity: Identity | null = null;

function need(): Widget {
  if (!widget) throw new ReproError('NOT_INITIALIZED', 'Call Repro.init({ key }) first.');
  return widget;
}

/** Starts recording and shows the launcher. A second call is ignored (call destroy() first). */
export function init(options: InitOptions & { endpoint?: string }, defaultEndpoint?: string): void {
  if (widget) return;
  if (!options || typeof options.key !== 'string' || !options.key) {
    throw new ReproError('INVALID_ARGUMENT', 'Repro.init needs { key: "pk_…" }.');
  }
  const endpoint = (options.endpoint ?? defaultEndpoint ?? location.origin).replace(/\/+$/, '');
  widget = new Widget({ ...options, endpoint });
  for (const { name, listener } of early.splice(0)) widget.on(name, listener);
  if (identity) widget.identify(identity);
  widget.start();
}

export function identify(who: Identity): void {
  identity = { ...identity, ...who };
  widget?.identify(who);
}

export function open(): void {
  need().open();
}

export function close(): void {
  need().close();
}

export function report(input: ReportInput): Promise<{ id: string; status: string }> {
  try {
    return need().report(input);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Listens to 'report:sent', 'report:queued', 'report:error', 'question', 'filed', 'open', 'close'. */
export function on(name: EventName, listener: (detail: unknown) => void): () => void {
  if (widget) return widget.on(name, listener);
  const entry = { name, listener };
  early.push(entry);
  return () => {
    const at = early.indexOf(entry);
    if (at >= 0) early.splice(at, 1);
  };
}

/** Stops recording and removes the UI. */
export function destroy(): void {
  widget?.destroy();
  widget = null;
}
