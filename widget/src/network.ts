/**
 * Records the page's fetch and XMLHttpRequest calls as `repro/network` custom events (the shape
 * src/modules/recordings/analyzer reads: method, url, status, durationMs, error). URLs lose the
 * values of query parameters that look like secrets; headers are kept only for allow-listed URLs
 * and never the sensitive ones; bodies only for allow-listed URLs, capped at 150 KB.
 */
export interface NetworkOptions {
  /** Requests to these URLs (prefix strings or RegExps) are recorded with headers and bodies. */
  networkBodyAllowList: (string | RegExp)[];
  /** Requests to these URLs are not recorded at all (Repro's own endpoint always is). */
  ignore: (url: string) => boolean;
  emit: (payload: NetworkPayload) => void;
}

export interface NetworkPayload {
  method: string;
  url: string;
  status: number;
  durationMs: number;
  error?: string;
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
}

export const BODY_CAP = 150 * 1024;
const SECRET_PARAM =
  /^(.*[_-])?(token|key|secret|password|passwd|pwd|auth|authorization|code|session|sessionid|sid|sig|signature|credential|jwt|otp|apikey|access[_-]?token|refresh[_-]?token|client[_-]?secret)$/i;
const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|set-cookie2|x-api-key|x-auth-token|x-csrf-token|x-xsrf-token|x-access-token|api-key)$/i;

/** The URL, absolute, with the values of secret-looking query parameters replaced. */
export function scrubUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw, location.href);
  } catch {
    return raw.split(/[?#]/)[0];
  }
  const names: string[] = [];
  url.searchParams.forEach((_value, name) => names.push(name));
  for (const name of names) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '[redacted]');
  }
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.toString();
}

export function allowed(url: string, list: (string | RegExp)[]): boolean {
  return list.some((entry) =>
    typeof entry === 'string' ? url.startsWith(entry) : entry.test(url),
  );
}

function safeHeaders(entries: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!SENSITIVE_HEADER.test(name)) out[name.toLowerCase()] = value;
  }
  return out;
}

function cap(text: string): string {
  return text.length > BODY_CAP ? `${text.slice(0, BODY_CAP)}…[truncated]` : text;
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return cap(body);
  if (body instanceof URLSearchParams) return cap(body.toString());
  if (body === undefined || body === null) return undefined;
  return '[binary body]';
}

/** Wraps window.fetch and XMLHttpRequest; returns a function that puts them back. */
export function recordNetwork(options: NetworkOptions): () => void {
  const originalFetch = window.fetch;
  const xhrProto = XMLHttpRequest.prototype;
  const originalOpen = xhrProto.open;
  const originalSend = xhrProto.send;
  const originalSetHeader = xhrProto.setRequestHeader;

  if (typeof originalFetch === 'function') {
    window.fetch = function reproFetch(input: RequestInfo | URL, init?: RequestInit) {
      const started = performance.now();
      const request = input instanceof Request ? input : null;
      const rawUrl =
        input instanceof Request ? input.url : input instanceof URL ? input.href : input;
      const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
      const promise = originalFetch.call(window, input, init);
      let absolute: string;
      try {
        absolute = new URL(rawUrl, location.href).toString();
      } catch {
        absolute = rawUrl;
      }
      if (options.ignore(absolute)) return promise;
      const detailed = allowed(absolute, options.networkBodyAllowList);
      const base = { method, url: scrubUrl(absolute) };
      promise.then(
        (response) => {
          const payload: NetworkPayload = {
            ...base,
            status: response.status,
            durationMs: Math.round(performance.now() - started),
          };
          if (!detailed) return options.emit(payload);
          const headers = init?.headers ?? request?.headers;
          payload.requestHeaders = safeHeaders(new Headers(headers).entries());
          payload.responseHeaders = safeHeaders(response.headers.entries());
          payload.requestBody = bodyText(init?.body);
          response
            .clone()
            .text()
            .then(
              (text) => options.emit({ ...payload, responseBody: cap(text) }),
              () => options.emit(payload),
            );
        },
        (error: unknown) => {
          options.emit({
            ...base,
            status: 0,
            durationMs: Math.round(performance.now() - started),
            error:
              error instanceof DOMException && error.name === 'AbortError'
                ? 'aborted'
                : error instanceof Error
                  ? error.message
                  : 'failed',
          });
        },
      );
      return promise;
    };
  }

  interface Tracked {
    __repro?: { method: string; url: string; headers: [string, string][] };
  }
  xhrProto.open = function reproOpen(
    this: XMLHttpRequest & Tracked,
    method: string,
    url: string | URL,
  ) {
    // Typed as a plain function: open's overloads take 2 or 5 arguments, passed on as given.
    this.__repro = { method: method.toUpperCase(), url: String(url), headers: [] };
    // eslint-disable-next-line prefer-rest-params
    return originalOpen.apply(this, arguments as unknown as Parameters<typeof originalOpen>);
  };
  xhrProto.setRequestHeader = function reproSetHeader(
    this: XMLHttpRequest & Tracked,
    name: string,
    value: string,
  ) {
    this.__repro?.headers.push([name, value]);
    return originalSetHeader.call(this, name, value);
  };
  xhrProto.send = function reproSend(
    this: XMLHttpRequest & Tracked,
    body?: Document | XMLHttpRequestBodyInit | null,
  ) {
    const tracked = this.__repro;
    if (tracked) {
      let absolute: string;
      try {
        absolute = new URL(tracked.url, location.href).toString();
      } catch {
        absolute = tracked.url;
      }
      if (!options.ignore(absolute)) {
        const started = performance.now();
        const detailed = allowed(absolute, options.networkBodyAllowList);
        let failure: string | undefined;
        const fail = (why: string) => () => (failure = why);
        this.addEventListener('error', fail('Network error'));
        this.addEventListener('timeout', fail('timeout'));
        this.addEventListener('abort', fail('aborted'));
        this.addEventListener('loadend', () => {
          const payload: NetworkPayload = {
            method: tracked.method,
            url: scrubUrl(absolute),
            status: failure ? 0 : this.status,
            durationMs: Math.round(performance.now() - started),
          };
          if (failure) payload.error = failure;
          if (detailed && !failure) {
            payload.requestHeaders = safeHeaders(tracked.headers);
            payload.responseHeaders = safeHeaders(
              this.getAllResponseHeaders()
                .trim()
                .split(/[\r\n]+/)
                .filter(Boolean)
                .map((line): [string, string] => {
                  const at = line.indexOf(':');
                  return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
                }),
            );
            payload.requestBody = bodyText(body);
            if (this.responseType === '' || this.responseType === 'text') {
              payload.responseBody = cap(this.responseText);
            }
          }
          options.emit(payload);
        });
      }
    }
    return originalSend.call(this, body);
  };

  return () => {
    window.fetch = originalFetch;
    xhrProto.open = originalOpen;
    xhrProto.send = originalSend;
    xhrProto.setRequestHeader = originalSetHeader;
  };
}
