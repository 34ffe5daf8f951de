/** The LabelBackend of local mode: the label server's JSON API on the same origin. */
import type { Decision } from '../lib/correction.ts';
import { BackendError, type DecisionResult, type LabelBackend, type QueuePage, type Session } from './backend.ts';

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new BackendError('E_OFFLINE', 'the label server does not answer; is `npm start` still running?');
  }
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    throw new BackendError(body?.error?.code ?? 'E_HTTP', body?.error?.message ?? `the label server answered ${res.status}`);
  }
  return body as T;
}

export function createLocalBackend(): LabelBackend {
  return {
    session: () => call<Session>('/api/session'),
    queue: (after, limit) =>
      call<QueuePage>(`/api/queue?${new URLSearchParams({ limit: String(limit), ...(after === null ? {} : { after }) })}`),
    decide: (decision: Decision) =>
      call<DecisionResult>('/api/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(decision),
      }),
  };
}
