/**
 * The script-tag build (dist/widget/repro.js): sets window.Repro and, when the tag carries
 * data-repro-key, calls init with the tag's data-repro-* attributes. The endpoint defaults to
 * the script's own origin.
 */
import * as Repro from './api';
import type { InitOptions } from './widget';

declare global {
  interface Window {
    Repro?: typeof Repro;
  }
}

const script = document.currentScript as HTMLScriptElement | null;

function fromTag(tag: HTMLScriptElement): InitOptions | null {
  const d = tag.dataset;
  if (!d.reproKey) return null;
  const options: InitOptions = { key: d.reproKey };
  if (d.reproEndpoint) options.endpoint = d.reproEndpoint;
  if (d.reproLauncher === 'false' || d.reproLauncher === 'hidden') options.launcher = false;
  if (d.reproPosition) options.position = d.reproPosition as InitOptions['position'];
  if (d.reproLabel) options.label = d.reproLabel;
  if (d.reproAccentColor) options.accentColor = d.reproAccentColor;
  if (d.reproAccentTextColor) options.accentTextColor = d.reproAccentTextColor;
  if (d.reproTheme) options.theme = d.reproTheme as InitOptions['theme'];
  if (d.reproLocale) options.locale = d.reproLocale;
  if (d.reproMaskAllText === 'true' || d.reproMaskAllText === '') options.maskAllText = true;
  if (d.reproRecord === 'false') options.record = false;
  if (d.reproStreamRecording === 'true' || d.reproStreamRecording === '')
    options.streamRecording = true;
  if (d.reproStreamEveryMs) options.streamEveryMs = Number(d.reproStreamEveryMs);
  if (d.reproWindowSeconds) options.recordWindowMs = Number(d.reproWindowSeconds) * 1000;
  if (d.reproMaxBytes) options.recordMaxBytes = Number(d.reproMaxBytes);
  if (d.reproCheckoutSeconds) options.checkoutEveryMs = Number(d.reproCheckoutSeconds) * 1000;
  if (d.reproNetworkBodies)
    options.networkBodyAllowList = d.reproNetworkBodies.split(/\s+/).filter(Boolean);
  if (d.reproRetryDelaysMs) options.retryDelaysMs = d.reproRetryDelaysMs.split(',').map(Number);
  if (d.reproPollMs) options.pollIntervalMs = Number(d.reproPollMs);
  return options;
}

const defaultEndpoint = script?.src ? new URL(script.src, location.href).origin : undefined;
const api = {
  ...Repro,
  init: (options: Parameters<typeof Repro.init>[0]) => Repro.init(options, defaultEndpoint),
};
window.Repro = api;

const tagOptions = script ? fromTag(script) : null;
if (tagOptions) Repro.init(tagOptions, defaultEndpoint);
