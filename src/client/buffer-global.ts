// isomorphic-git expects Node's Buffer as a global; in the page it comes from the
// `buffer` package. Imported first by the hosted session, before isomorphic-git runs.
import { Buffer } from 'buffer';

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;
