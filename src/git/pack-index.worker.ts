/**
 * indexPack (pack-index.ts) on a thread of its own, for the page's first clone
 * (shallow-clone.ts): the page reads the objects as they arrive while the rest of the
 * pack is indexed. Takes the pack; sends the objects in batches of about 4 MiB (one
 * buffer each, transferred), one alone when it is too large to be a delta base here,
 * the progress at each yield, then the index, or the error.
 */
import { indexPack } from './pack-index.ts';
import { NEVER_A_BASE_KEPT, type GitObject, type ObjectType } from './pack-reader.ts';

/** What the thread sends: objects (each `[oid, type, start, end]` in `bytes`), progress, the index, or why indexing failed. */
export type IndexMessage =
  | { kind: 'objects'; bytes: Uint8Array; list: [string, ObjectType, number, number][] }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; idx: Uint8Array }
  | { kind: 'failed'; message: string };

const BATCH_BYTES = 4 << 20;
const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<Uint8Array>) => void) | null; postMessage(message: IndexMessage, transfer?: Transferable[]): void };

scope.onmessage = async ({ data: pack }) => {
  let batch: { oid: string; object: GitObject }[] = [];
  let bytes = 0;
  const flush = () => {
    if (!batch.length) return;
    const out = new Uint8Array(bytes);
    const list: [string, ObjectType, number, number][] = [];
    let at = 0;
    for (const { oid, object } of batch) {
      out.set(object.data, at);
      list.push([oid, object.type, at, (at += object.data.length)]);
    }
    scope.postMessage({ kind: 'objects', bytes: out, list }, [out.buffer]);
    batch = [];
    bytes = 0;
  };
  try {
    const idx = await indexPack(pack, {
      onProgress: (done, total) => {
        flush();
        scope.postMessage({ kind: 'progress', done, total });
      },
      onObject: (oid, object) => {
        const { data } = object;
        if (data.length > NEVER_A_BASE_KEPT) {
          // No delta base cache here holds it: its buffer goes, not a copy of it.
          flush();
          scope.postMessage({ kind: 'objects', bytes: data, list: [[oid, object.type, 0, data.length]] }, [data.buffer]);
          return;
        }
        batch.push({ oid, object });
        if ((bytes += data.length) >= BATCH_BYTES) flush();
      },
    });
    flush();
    scope.postMessage({ kind: 'done', idx }, [idx.buffer]);
  } catch (err) {
    scope.postMessage({ kind: 'failed', message: (err as Error).message });
  }
};
