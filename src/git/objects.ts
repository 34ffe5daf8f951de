/**
 * Git objects as plover writes them: the content of a tree and of a commit, laid out as
 * git lays them out, and the writer that stores an object. By default isomorphic-git
 * stores it (hash, deflate, a loose object through the target's fs); the Node adapter
 * hands a writer that deflates with node:zlib (node/object-writer.ts), which spares a
 * short-lived process (one `plover submit`) from loading the web streams isomorphic-git
 * deflates through.
 */
import git, { type TreeEntry } from 'isomorphic-git';
import type { GitFs } from './commit-file.ts';
import { compareBytes, oidBytes } from './bytes.ts';
import { concat } from '../lib/bytes.ts';

/** Stores one object given its content (without git's `<type> <size>\0` header); resolves to its oid once it is written. */
export type ObjectWriter = (type: 'blob' | 'tree' | 'commit', content: Uint8Array) => Promise<string>;

/** The writer through isomorphic-git (the page's, and wherever no other is handed). */
export function isomorphicWriter(fs: GitFs, gitdir: string): ObjectWriter {
  return (type, content) => git.writeObject({ fs, gitdir, type, object: content, format: 'content' });
}

const utf8 = new TextEncoder();

/** The name git sorts a tree entry by: a tree's with a `/` after it, compared as UTF-8 bytes. */
function sortKey(entry: TreeEntry): Uint8Array {
  return utf8.encode(entry.type === 'tree' ? `${entry.path}/` : entry.path);
}

/** A tree's content: its entries in git's order, each `<mode> <name>\0<20-byte oid>`, the mode without a leading 0. */
export function treeContent(entries: readonly TreeEntry[]): Uint8Array {
  const keyed = entries.map((entry) => ({ entry, key: sortKey(entry) })).sort((a, b) => compareBytes(a.key, b.key));
  return concat(keyed.flatMap(({ entry }) => [utf8.encode(`${entry.mode.replace(/^0/, '')} ${entry.path}\0`), oidBytes(entry.oid)]));
}

export interface CommitFields {
  tree: string;
  parents: string[];
  /** Author and committer, in UTC. */
  who: { name: string; email: string; timestamp: number };
  message: string;
}

/** A commit's content as git (and isomorphic-git) writes it: headers, a blank line, the message without CRs or leading blank lines, ending in one newline. */
export function commitContent(commit: CommitFields): Uint8Array {
  const who = `${commit.who.name} <${commit.who.email}> ${commit.who.timestamp} +0000`;
  const message = `${commit.message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
  return utf8.encode(`tree ${commit.tree}\n${commit.parents.map((p) => `parent ${p}\n`).join('')}author ${who}\ncommitter ${who}\n\n${message}`);
}
