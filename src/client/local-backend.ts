/** The LabelBackend of local mode: the label server's JSON API (server/server.ts) on the same origin. */
import { isErrorCode, PloverError } from '../lib/errors.ts';
import type { CardContext, DecisionResult, Facets, HistoryEntry, LabelBackend, QueuePage, Session, Stats, UndoResult } from '../lib/review/label-backend.ts';

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new PloverError('E_OFFLINE', 'the label server does not answer; is `npm start` still running?', { cause: err });
  }
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    const code = body?.error?.code;
    throw new PloverError(isErrorCode(code) ? code : 'E_HTTP', body?.error?.message ?? `the label server answered ${res.status}`);
  }
  return body as T;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return call<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export function createLocalBackend(): LabelBackend {
  return {
    session: () => call<Session>('/api/session'),
    queue: (after, limit, filters = {}) => call<QueuePage>(`/api/queue?${new URLSearchParams({ ...filters, limit: String(limit), ...(after === null ? {} : { after }) })}`),
    decide: (decision, durationMs) => post<DecisionResult>('/api/decisions', { ...decision, duration_ms: durationMs }),
    facets: () => call<Facets>('/api/facets'),
    undo: (candidateId) => post<UndoResult>('/api/undo', { candidate_id: candidateId }),
    history: (candidateId) => call<{ entries: HistoryEntry[] }>(`/api/history?${new URLSearchParams({ candidate: candidateId })}`).then((r) => r.entries),
    stats: () => call<Stats>('/api/stats'),
    context: (candidateId) => call<CardContext>(`/api/context?${new URLSearchParams({ candidate: candidateId })}`),
  };
}
