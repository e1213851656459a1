/** A tiny history router: the app's routes live under /app. */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  listeners.forEach((listener) => listener());
}

/** The current location (path and query), re-rendered on navigation and back/forward. */
export function useLocation(): { path: string; search: string; hash: string } {
  const read = () => ({
    path: location.pathname,
    search: location.search,
    hash: location.hash,
  });
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return current;
}

export type Route =
  | { page: 'inbox' }
  | { page: 'report'; id: string }
  | { page: 'tickets' }
  | { page: 'ticket'; key: string }
  | { page: 'settings' }
  | { page: 'scorecard' }
  | { page: 'not-found' };

export function match(path: string): Route {
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean === '/app') return { page: 'inbox' };
  if (clean === '/app/tickets') return { page: 'tickets' };
  if (clean === '/app/settings') return { page: 'settings' };
  if (clean === '/app/scorecard') return { page: 'scorecard' };
  let m = /^\/app\/reports\/([^/]+)$/.exec(clean);
  if (m) return { page: 'report', id: decodeURIComponent(m[1]) };
  m = /^\/app\/tickets\/([^/]+)$/.exec(clean);
  if (m) return { page: 'ticket', key: decodeURIComponent(m[1]) };
  return { page: 'not-found' };
}

/** An in-app link: a real <a href> (open in a new tab works), navigated without a reload. */
export function onLinkClick(event: MouseEvent, href: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  navigate(href);
}
