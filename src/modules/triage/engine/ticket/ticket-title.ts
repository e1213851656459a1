import type { RecordingAnalysis, Step } from '../../../recordings/analyzer/types';
import { TITLE_MAX } from './limits';
import { draftTitle } from './ticket-body';

function pathOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/** `"Save changes"` for the last click before `t`, or null. */
function lastAction(steps: Step[], t: number): string | null {
  const step = [...steps]
    .reverse()
    .find((s) => s.t <= t && s.target?.name && /^Clicked /.test(s.text));
  if (!step?.target?.name) return null;
  return `"${step.target.name}"`;
}

/** An error message's first line, without "Uncaught", cut to `room` characters. */
function shortError(message: string, room: number): string {
  const line = message.replace(/^Uncaught\s*(\(in promise\)\s*)?/, '').split('\n')[0];
  return line.length > room ? `${line.slice(0, Math.max(room - 1, 10))}…` : line;
}

function fit(title: string): string {
  return title.length > TITLE_MAX ? `${title.slice(0, TITLE_MAX - 1)}…` : title;
}

/**
 * A title that names the failing action and the place, from what the recording showed:
 * `"Save changes" fails with 500 on /settings/billing`. Falls back to the reporter's first line
 * when the recording shows no failure.
 */
export function ticketTitle(
  description: string,
  analysis: RecordingAnalysis | null | undefined,
): string {
  const failure = analysis?.failure;
  if (!analysis || !failure) return draftTitle(description);
  const where = pathOf(failure.url);
  const on = where ? ` on ${where}` : '';
  const action = lastAction(analysis.steps, failure.t);
  switch (failure.reason) {
    case 'failed_request': {
      const request = analysis.failedRequests.find((r) => r.t === failure.t);
      if (!request) break;
      const outcome = request.status ? `fails with ${request.status}` : 'gets no response';
      const endpoint = `${request.method} ${pathOf(request.url) ?? request.url}`;
      return fit(
        action ? `${action} ${outcome} (${endpoint})${on}` : `${endpoint} ${outcome}${on}`,
      );
    }
    case 'error': {
      const error = analysis.errors.find((e) => e.t === failure.t);
      if (!error) break;
      const prefix = action ? `${action}: ` : '';
      // The message gives way, so the place always fits.
      return fit(
        `${prefix}${shortError(error.message, TITLE_MAX - prefix.length - on.length)}${on}`,
      );
    }
    case 'signal': {
      const signal = analysis.signals.find((s) => s.t === failure.t);
      if (signal?.kind === 'dead_click' && signal.target)
        return fit(`${signal.target} does nothing${on}`);
      if (signal?.kind === 'rage_click' && signal.target) {
        return fit(`${signal.target} does not respond (clicked ${signal.count ?? 3} times)${on}`);
      }
      break;
    }
    case 'end':
      break;
  }
  return draftTitle(description);
}
