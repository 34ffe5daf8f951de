/** The LabelBackend of local mode: the label server's JSON API on the same origin. */
import type { Decision } from '../lib/correction.ts';
import { BackendError, type DecisionResult, type Facets, type HistoryEntry, type LabelBackend, type QueuePage, type Session, type UndoResult } from './backend.ts';

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new BackendError('E_OFFLINE', 'the label server does not answer; is `npm start` still running?', { cause: err });
  }
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    throw new BackendError(body?.error?.code ?? 'E_HTTP', body?.error?.message ?? `the label server answered ${res.status}`);
  }
  return body as T;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return call<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export function createLocalBackend(): LabelBackend {
  return {
    session: () => call<Session>('/api/session'),
    queue: (after, limit, filters = {}) =>
      call<QueuePage>(`/api/queue?${new URLSearchParams({ ...filters, limit: String(limit), ...(after === null ? {} : { after }) })}`),
    decide: (decision: Decision, durationMs?: number) => post<DecisionResult>('/api/decisions', { ...decision, duration_ms: durationMs }),
    facets: () => call<Facets>('/api/facets'),
    undo: (candidateId) => post<UndoResult>('/api/undo', { candidate_id: candidateId }),
    history: (candidateId) =>
      call<{ entries: HistoryEntry[] }>(`/api/history?${new URLSearchParams({ candidate: candidateId })}`).then((r) => r.entries),
  };
}
