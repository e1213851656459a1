/** The widget's CSS, adopted by its shadow root as a constructed stylesheet (no inline styles: strict CSP works). */
export const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.root {
  --accent: var(--repro-accent, #4f46e5);
  --accent-text: var(--repro-accent-text, #ffffff);
  --bg: #ffffff; --fg: #111827; --muted: #4b5563; --line: #d1d5db; --field: #ffffff;
  --danger: #b91c1c; --ok: #047857; --bubble: #f3f4f6;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg);
  position: fixed; z-index: 2147483000;
}
@media (prefers-color-scheme: dark) {
  .root.auto { --bg: #111827; --fg: #f9fafb; --muted: #d1d5db; --line: #374151; --field: #1f2937;
    --danger: #f87171; --ok: #34d399; --bubble: #1f2937; --accent: var(--repro-accent, #818cf8); --accent-text: var(--repro-accent-text, #111827); }
}
.root.dark { --bg: #111827; --fg: #f9fafb; --muted: #d1d5db; --line: #374151; --field: #1f2937;
  --danger: #f87171; --ok: #34d399; --bubble: #1f2937; --accent: var(--repro-accent, #818cf8); --accent-text: var(--repro-accent-text, #111827); }
.root.bottom-right { right: 20px; bottom: 20px; }
.root.bottom-left { left: 20px; bottom: 20px; }
.root.top-right { right: 20px; top: 20px; }
.root.top-left { left: 20px; top: 20px; }
.launcher {
  font: inherit; font-weight: 600; border: 0; border-radius: 999px; padding: 10px 16px;
  background: var(--accent); color: var(--accent-text); cursor: pointer;
  box-shadow: 0 4px 14px rgba(0,0,0,.25);
}
.launcher[hidden], .panel[hidden], [hidden] { display: none !important; }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px;
}
.badge { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #f59e0b; margin-left: 8px; vertical-align: middle; }
.panel {
  position: absolute; width: 360px; max-width: calc(100vw - 24px);
  max-height: min(640px, calc(100vh - 40px)); overflow: auto;
  background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 12px;
  box-shadow: 0 12px 40px rgba(0,0,0,.3); padding: 16px;
}
.bottom-right .panel { right: 0; bottom: 0; }
.bottom-left .panel { left: 0; bottom: 0; }
.top-right .panel { right: 0; top: 0; }
.top-left .panel { left: 0; top: 0; }
@media (max-width: 480px) {
  .root.open { left: 0; right: 0; top: auto; bottom: 0; }
  .root.open .panel { position: fixed; left: 8px; right: 8px; bottom: 8px; top: auto; width: auto; max-width: none; max-height: calc(100vh - 16px); }
}
header { display: flex; align-items: center; justify-content: space-between; margin-bottom: 12px; }
h2 { font-size: 16px; margin: 0; font-weight: 700; }
.close { font: inherit; font-size: 20px; line-height: 1; background: none; border: 0; color: var(--muted); cursor: pointer; padding: 4px 8px; border-radius: 6px; }
label.field { display: block; font-weight: 600; margin: 0 0 4px; }
textarea, input[type=email] {
  display: block; width: 100%; font: inherit; color: var(--fg); background: var(--field);
  border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin-bottom: 12px;
}
textarea { min-height: 96px; resize: vertical; }
.note { font-size: 12px; color: var(--muted); margin: 0 0 8px; }
.check { display: flex; gap: 8px; align-items: center; font-size: 13px; margin-bottom: 12px; }
.actions { display: flex; gap: 8px; justify-content: flex-end; flex-wrap: wrap; }
.primary, .secondary {
  font: inherit; font-weight: 600; border-radius: 8px; padding: 8px 16px; cursor: pointer;
}
.primary { background: var(--accent); color: var(--accent-text); border: 0; }
.primary[disabled] { opacity: .6; cursor: progress; }
.secondary { background: transparent; color: var(--fg); border: 1px solid var(--line); }
.status { margin: 0 0 12px; font-weight: 600; }
.status.ok { color: var(--ok); }
.status.error { color: var(--danger); }
.invalid { color: var(--danger); font-size: 13px; margin: -8px 0 12px; }
.messages { list-style: none; margin: 0 0 12px; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.message { background: var(--bubble); border-radius: 10px; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
.message.reporter { background: transparent; border: 1px solid var(--line); }
.author { display: block; font-size: 12px; color: var(--muted); font-weight: 600; margin-bottom: 2px; }
.questions { margin: 4px 0 0; padding-left: 18px; }
.spinner { display: inline-block; width: 12px; height: 12px; border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%; animation: spin .8s linear infinite; margin-right: 6px; vertical-align: -1px; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
`;
