/**
 * indexPack (pack-index.ts) on a thread of its own, for the page's first clone
 * (shallow-clone.ts): the page reads the objects as they arrive while the rest of the
 * pack is indexed. Takes the pack; sends the objects in batches of about 4 MiB (one
 * buffer each, transferred), one alone when it is too large to be a delta base here,
 * the content of each object of 1 MiB or more as it inflates (copies, a few MiB at a
 * time, before its oid is known), the progress at each yield, then the index, or the error.
 */
import { indexPack } from './pack-index.ts';
import { NEVER_A_BASE_KEPT, type GitObject, type ObjectType } from './pack-reader.ts';

/** What the thread sends: objects (each `[oid, type, start, end, offset in the pack]` in `bytes`), a large object's next bytes as it inflates, progress, the index, or why indexing failed. */
export type IndexMessage =
  | { kind: 'objects'; bytes: Uint8Array; list: [string, ObjectType, number, number, number][] }
  | { kind: 'inflating'; at: number; type: ObjectType; size: number; bytes: Uint8Array }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; idx: Uint8Array }
  | { kind: 'failed'; message: string };

const BATCH_BYTES = 4 << 20;
const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<Uint8Array>) => void) | null; postMessage(message: IndexMessage, transfer?: Transferable[]): void };

scope.onmessage = async ({ data: pack }) => {
  let batch: { oid: string; object: GitObject; at: number }[] = [];
  let bytes = 0;
  const flush = () => {
    if (!batch.length) return;
    const out = new Uint8Array(bytes);
    const list: [string, ObjectType, number, number, number][] = [];
    let start = 0;
    for (const { oid, object, at } of batch) {
      out.set(object.data, start);
      list.push([oid, object.type, start, (start += object.data.length), at]);
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
      onInflating: (at, type, size, part) => {
        flush(); // the objects before it first: the trees that name it
        const bytes = part.slice(); // the content's buffer stays here, to be hashed
        scope.postMessage({ kind: 'inflating', at, type, size, bytes }, [bytes.buffer]);
      },
      onObject: (oid, object, at) => {
        const { data } = object;
        if (data.length > NEVER_A_BASE_KEPT) {
          // No delta base cache here holds it: its buffer goes, not a copy of it.
          flush();
          scope.postMessage({ kind: 'objects', bytes: data, list: [[oid, object.type, 0, data.length, at]] }, [data.buffer]);
          return;
        }
        batch.push({ oid, object, at });
        if ((bytes += data.length) >= BATCH_BYTES) flush();
      },
    });
    flush();
    scope.postMessage({ kind: 'done', idx }, [idx.buffer]);
  } catch (err) {
    scope.postMessage({ kind: 'failed', message: (err as Error).message });
  }
};
