/**
 * The page's first clone: the branch's last commit and its files (depth 1, as `git clone
 * --depth 1 --no-checkout`), fetched with one upload-pack request and indexed here
 * (pack-index.ts, on a worker in the page, handing each object to the clone's PackStore
 * as it is found, and a large one as it inflates, so that the page reads the files while
 * the rest is indexed), and stored as git stores a fetched pack: the pack (while it is
 * indexed) and its index under objects/pack, the `shallow` file, the remote-tracking ref.
 * isomorphic-git's own fetch took minutes at 100k corrections, most of it inflating each
 * object with a new inflater; later fetches (only what is new) still go through it, and
 * read what this stored as their own.
 *
 * Reference: git's Documentation/gitprotocol-pack.txt (shallow fetches, side-band) and
 * gitprotocol-http.txt (the stateless exchange: wants, `deepen`, `done`, in one POST).
 */
import git from 'isomorphic-git';
import { PloverError } from '../lib/errors.ts';
import { indexPack, type IndexOptions } from './pack-index.ts';
import type { IndexMessage } from './pack-index.worker.ts';
import { PackReader } from './pack-reader.ts';
import { usePackStore, type ObjectContext } from './object-store.ts';
import { advertiseUploadPack, FLUSH, pktLine, readPktLines, sendUploadPack, type HttpRemote } from './smart-http.ts';
import { concat } from '../lib/bytes.ts';
import { hex } from './bytes.ts';

const decoder = new TextDecoder();

/** What a host must offer for this fetch; without any of them the clone goes through isomorphic-git. */
const NEEDED = ['shallow', 'side-band-64k', 'ofs-delta'];

/** The upload-pack request of a depth-1 fetch of one commit: the want with its capabilities, `deepen 1`, a flush, `done`. */
export function uploadPackRequest(want: string, offered: ReadonlySet<string>): Uint8Array<ArrayBuffer> {
  const capabilities = [...NEEDED, ...(offered.has('no-progress') ? ['no-progress'] : []), 'agent=plover'];
  return concat([pktLine(`want ${want} ${capabilities.join(' ')}\n`), pktLine('deepen 1\n'), FLUSH, pktLine('done\n')]) as Uint8Array<ArrayBuffer>;
}

/** Told how a clone or fetch goes: its phase (`Downloading`, `Indexing objects`…), and how far, where known. */
export type CloneProgress = (phase: string, loaded: number, total: number) => void;

export interface UploadPackResult {
  /** The commits the host made shallow (the boundary of the depth asked for). */
  shallow: string[];
  /** The pack, its side-band packets put together. */
  pack: Uint8Array;
}

/**
 * Reads an upload-pack answer to uploadPackRequest: the shallow lines, a flush, `NAK`,
 * then the pack in side-band packets (band 1 the pack, 2 progress, 3 an error).
 * @throws PloverError `E_REMOTE` with the host's words for an error it sent (`ERR`, band 3), `E_PROTOCOL` for an answer that is not one.
 */
export function parseUploadPackResult(bytes: Uint8Array): UploadPackResult {
  const shallow: string[] = [];
  const parts: Uint8Array[] = [];
  let inPack = false;
  for (const { payload, flush } of readPktLines(bytes)) {
    if (flush) continue;
    if (inPack) {
      const band = payload[0];
      if (band === 1) parts.push(payload.subarray(1));
      else if (band === 3) throw new PloverError('E_REMOTE', `The git host stopped sending the repository: ${decoder.decode(payload.subarray(1)).trim()}`);
      else if (band !== 2) throw new PloverError('E_PROTOCOL', `the git host sent a packet on side-band ${band}, which git does not use`);
      continue;
    }
    const line = decoder.decode(payload).replace(/\n$/, '');
    if (line.startsWith('shallow ')) shallow.push(line.slice(8));
    else if (line.startsWith('ERR ')) throw new PloverError('E_REMOTE', `The git host refused the fetch: ${line.slice(4)}`);
    else if (line === 'NAK' || line.startsWith('ACK ')) inPack = true;
    else if (!line.startsWith('unshallow ')) throw new PloverError('E_PROTOCOL', `the git host answered the fetch with ${JSON.stringify(line.slice(0, 80))}, not a pack`);
  }
  if (!inPack || !parts.length) throw new PloverError('E_PROTOCOL', 'the git host answered the fetch without a pack');
  return { shallow, pack: concat(parts) };
}

/**
 * Fetches the last commit of `branch` (depth 1) into an empty clone and stores it as
 * fetched: the pack and its index, `shallow`, and `refs/remotes/origin/<branch>`. The
 * pack stays in memory for the clone's PackStore, which is given every object as the
 * indexing finds it (PackStore.receive).
 * @param onCommit told the commit as soon as its objects start to arrive (its files can be
 * read from then on, while the rest of the pack is indexed), with the host's branches.
 * @returns the bytes fetched, or null when the host does not offer what this fetch needs
 * (the caller then fetches through isomorphic-git).
 * @throws PloverError: the host's refusal (E_AUTH, E_REMOTE…), `E_REMOTE` when it has no such branch, `E_PROTOCOL`; an Error for a damaged pack.
 */
export async function shallowClone(
  clone: ObjectContext,
  remote: HttpRemote,
  branch: string,
  onProgress?: CloneProgress,
  onCommit?: (commit: string, hostRefs: ReadonlyMap<string, string>) => void,
): Promise<number | null> {
  const what = 'Cloning the repository failed';
  const { refs, capabilities } = await advertiseUploadPack(remote, what);
  if (!NEEDED.every((c) => capabilities.has(c))) return null;
  const want = refs.get(`refs/heads/${branch}`);
  if (!want) throw new PloverError('E_REMOTE', `The git host has no branch ${branch} in ${remote.url}: check the branch in plover.config.json (or PLOVER_BRANCH).`);
  onProgress?.('Downloading', 0, 0);
  const answer = await sendUploadPack(remote, uploadPackRequest(want, capabilities), what);
  const { shallow, pack } = parseUploadPackResult(answer);
  const store = usePackStore(clone);
  const { fs, gitdir } = clone;
  // The files are read right after the clone: each object, inflated here once, is kept for that read.
  const receiving = store.receive();
  const name = `pack-${hex(pack.subarray(pack.length - 20))}`;
  const packFile = `${gitdir}/objects/pack/${name}.pack`;
  // Stored while it is indexed (a pack without its index is ignored), and removed when indexing fails.
  const packStored = fs.promises
    .mkdir(`${gitdir}/objects/pack`)
    .catch(() => undefined)
    .then(() => fs.promises.writeFile(packFile, pack));
  packStored.catch(() => undefined); // awaited below
  try {
    const indexing = indexApart(pack, {
      onProgress: (done, total) => onProgress?.('Indexing objects', done, total),
      onObject: receiving.arrive,
      onInflating: receiving.inflating,
    });
    onCommit?.(want, refs);
    const idx = await indexing;
    const reader = new PackReader(pack, idx, false); // this pack's bytes, just checked by indexPack
    if (!reader.read(want)) throw new PloverError('E_PROTOCOL', `the git host sent a pack without the commit ${want} it was asked for`);
    // The index last: a pack without its index is ignored, an index without its pack is not.
    await packStored;
    await fs.promises.writeFile(`${gitdir}/objects/pack/${name}.idx`, idx);
    if (shallow.length) await fs.promises.writeFile(`${gitdir}/shallow`, `${shallow.join('\n')}\n`, 'utf8');
    store.add(name, reader);
  } catch (err) {
    store.forgetKept();
    await packStored.then(() => fs.promises.unlink(packFile)).catch(() => undefined);
    throw err;
  } finally {
    receiving.end();
  }
  await git.writeRef({ fs, gitdir, ref: `refs/remotes/origin/${branch}`, value: want, force: true });
  return answer.length;
}

/**
 * indexPack on a thread of its own (pack-index.worker.ts) where the platform has workers
 * (the page), so that the page reads the objects found while the rest is indexed; on this
 * thread elsewhere, or when the worker does not start.
 */
function indexApart(pack: Uint8Array, options: IndexOptions): Promise<Uint8Array> {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./pack-index.worker.ts', import.meta.url), { type: 'module', name: 'plover: indexing the pack' });
  } catch {
    return indexPack(pack, options); // no workers here (Node), or none allowed
  }
  return new Promise((resolve, reject) => {
    let heard = false;
    worker.onmessage = ({ data: message }: MessageEvent<IndexMessage>) => {
      heard = true;
      if (message.kind === 'objects') {
        for (const [oid, type, start, end, at] of message.list) options.onObject?.(oid, { type, data: message.bytes.subarray(start, end) }, at);
      } else if (message.kind === 'inflating') options.onInflating?.(message.at, message.type, message.size, message.bytes);
      else if (message.kind === 'progress') options.onProgress?.(message.done, message.total);
      else {
        worker.terminate();
        if (message.kind === 'done') resolve(message.idx);
        else reject(new Error(message.message));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      if (heard) reject(new Error(`Indexing the repository's pack stopped: ${event.message}`));
      else indexPack(pack, options).then(resolve, reject);
    };
    worker.postMessage(pack);
  });
}
