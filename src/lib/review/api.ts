/**
 * The label server's JSON API, described once: one route per LabelBackend method. The
 * server (server/server.ts) answers from this table and the page's client
 * (client/local-backend.ts) calls through it, so a method, its path and how its arguments
 * travel are written in one place. A GET carries its arguments as query parameters, a POST
 * as a JSON object; an answer is the method's result as JSON (201 for a POST).
 */
import { PloverError } from '../errors.ts';
import type { LabelBackend } from './label-backend.ts';

/** The most candidates one queue page holds. */
export const MAX_QUEUE_PAGE = 200;

/** What a request carried: its query parameters, and for a POST its JSON object body. */
export interface ApiRequest {
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface Route<K extends keyof LabelBackend> {
  method: 'GET' | 'POST';
  path: string;
  /** The query parameters (GET) or body (POST) that carry a call's arguments. */
  request(...args: Parameters<LabelBackend[K]>): Record<string, unknown>;
  /** The call a request stands for, made on the backend. @throws PloverError for a request no call can be made of. */
  answer(backend: LabelBackend, request: ApiRequest): ReturnType<LabelBackend[K]>;
}

export type Routes = { [K in keyof LabelBackend]: Route<K> };

const candidateQuery = (candidateId: string) => ({ candidate: candidateId });

export const ROUTES: Routes = {
  /** GET /api/session: the reviewer, their counts per action, remaining, total */
  session: {
    method: 'GET',
    path: '/api/session',
    request: () => ({}),
    answer: (backend) => backend.session(),
  },
  /** GET /api/queue?after=ID&limit=N&<filters>: the next matching candidates after ID, at most MAX_QUEUE_PAGE (filters: lib/review/queue-filter.ts) */
  queue: {
    method: 'GET',
    path: '/api/queue',
    request: (after, limit, filters = {}) => ({ ...filters, limit: String(limit), ...(after === null ? {} : { after }) }),
    answer: (backend, { query }) => {
      const limit = Math.min(Math.max(Number(query.get('limit') ?? 20) || 20, 1), MAX_QUEUE_PAGE);
      return backend.queue(query.get('after'), limit, Object.fromEntries(query));
    },
  },
  /** GET /api/facets: runs, models and task types with totals and my progress */
  facets: {
    method: 'GET',
    path: '/api/facets',
    request: () => ({}),
    answer: (backend) => backend.facets(),
  },
  /** GET /api/stats: review statistics of every reviewer (lib/review/stats.ts) */
  stats: {
    method: 'GET',
    path: '/api/stats',
    request: () => ({}),
    answer: (backend) => backend.stats(),
  },
  /** GET /api/history?candidate=ID: every decision and undo on a candidate, newest first, from git */
  history: {
    method: 'GET',
    path: '/api/history',
    request: candidateQuery,
    answer: (backend, { query }) => backend.history(query.get('candidate') ?? ''),
  },
  /** GET /api/context?candidate=ID: its siblings and the starts of its correction (lib/review/siblings.ts) */
  context: {
    method: 'GET',
    path: '/api/context',
    request: candidateQuery,
    answer: (backend, { query }) => backend.context(query.get('candidate') ?? ''),
  },
  /** POST /api/decisions {candidate_id, action, corrected_response?, failure_category?, unchanged?, started_from?, duration_ms?}: commits a decision, read as `plover submit --from` reads a line */
  decide: {
    method: 'POST',
    path: '/api/decisions',
    request: (decision, durationMs) => ({ ...decision, duration_ms: durationMs }),
    answer: async (backend, { body }) => {
      // The same reading as plover submit --from: an unknown field is refused, not ignored. Loaded
      // here, by the server only: the page's client (made from this table) never holds the record checks.
      const { decisionFromJson } = await import('../records/decision-file.ts');
      const { decision, problems } = decisionFromJson(body, ['duration_ms']);
      if (!decision || problems.length) {
        const listed = problems.map((p) => ({ file: 'decision', ...p }));
        throw new PloverError('E_INVALID_DECISION', `invalid decision:\n${listed.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, { problems: listed });
      }
      const d = body.duration_ms;
      return backend.decide(decision, typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : undefined);
    },
  },
  /** POST /api/undo {candidate_id}: undoes this reviewer's decision on it */
  undo: {
    method: 'POST',
    path: '/api/undo',
    request: (candidateId) => ({ candidate_id: candidateId }),
    answer: (backend, { body }) => backend.undo(String(body.candidate_id ?? '')),
  },
};

/** The route of a request, if the API has one. */
export function routeOf(method: string, path: string): Route<keyof LabelBackend> | undefined {
  return Object.values(ROUTES).find((r) => r.method === method && r.path === path) as Route<keyof LabelBackend> | undefined;
}
