/** One thing wrong with the input: where it is and what to do about it. */
export interface Problem {
  /** The file, relative to the repository root (or as given on the command line). */
  file: string;
  /** 1-based line number in a JSONL file, when the problem is on one line. */
  line?: number;
  /** Dotted JSON path inside the record, e.g. `reviewer.email` or `prompt_messages[0].role`. */
  path?: string;
  message: string;
}

/**
 * The one error class of plover. `code` says what kind of failure it is (tests and the
 * CLI branch on it); `problems` lists every bad input found, so callers fail once with all.
 */
export class PloverError extends Error {
  readonly code: string;
  readonly problems: Problem[];
  constructor(code: string, message: string, options: { problems?: Problem[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PloverError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}

/** `file:line: path: message`, the way compilers print, so editors and CI logs link it. */
export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/**
 * The `code` of a thrown value: Node's system errors (`ENOENT`, `EEXIST`…), isomorphic-git's
 * errors (`NotFoundError`…), a PloverError's, or undefined for anything without one.
 */
export function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
