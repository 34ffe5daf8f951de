/** The LabelBackend of local mode: the label server's JSON API (lib/review/api.ts) on the same origin. */
import { isErrorCode, PloverError, type Problem } from '../lib/errors.ts';
import { ROUTES, type Route } from '../lib/review/api.ts';
import type { LabelBackend } from '../lib/review/label-backend.ts';

async function call(origin: string, route: Route<keyof LabelBackend>, args: unknown[]): Promise<unknown> {
  const request = (route.request as (...a: unknown[]) => Record<string, unknown>)(...args);
  let res: Response;
  try {
    res =
      route.method === 'GET'
        ? await fetch(withQuery(origin + route.path, new URLSearchParams(request as Record<string, string>)))
        : await fetch(origin + route.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  } catch (err) {
    throw new PloverError('E_OFFLINE', 'the label server does not answer; is `npm start` still running?', { cause: err });
  }
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string; problems?: Problem[] } } | null;
  if (!res.ok) {
    const error = body?.error;
    throw new PloverError(isErrorCode(error?.code) ? error.code : 'E_HTTP', error?.message ?? `the label server answered ${res.status}`, { problems: error?.problems });
  }
  return body;
}

const withQuery = (path: string, query: URLSearchParams) => (query.size ? `${path}?${query}` : path);

/** The backend over the label server at `origin` (the page's own by default). */
export function createLocalBackend(origin = ''): LabelBackend {
  return Object.fromEntries(
    Object.entries(ROUTES).map(([name, route]) => [name, (...args: unknown[]) => call(origin, route as Route<keyof LabelBackend>, args)]),
  ) as unknown as LabelBackend;
}
