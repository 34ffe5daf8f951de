/**
 * Where `plover export --out` may write. An export replaces its file and manifest whole,
 * so a wrong `--out` would destroy what sits there: git's own files, the data folders,
 * a tracked file, a device. Checked before anything is written (the export reads meanwhile).
 */
import { execFile } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { lstat, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { errorCode, PloverError } from '../lib/errors.ts';

const run = promisify(execFile);

/** Folders of the repository no export may write into: git's own, and the data plover reads. */
const PROTECTED = ['.git', 'candidates', 'corrections', 'suggestions'];

/**
 * Refuses `out` (and the manifest beside it) inside `.git/` or a data folder, over a file
 * git tracks, over a directory, link or device, or over a file that is not plover's own
 * earlier export (its manifest names it with the same sha256).
 * @throws PloverError `E_BAD_OUT`, saying which file and what to do.
 */
export async function checkExportTarget(dir: string, out: string, manifest: string): Promise<void> {
  const repo = await realpath(dir);
  const gitDirs = await gitDirectories(repo);
  for (const file of [out, manifest]) {
    const real = await realPathOf(file);
    const inRepo = relative(repo, real);
    const within = (root: string) => {
      const rel = relative(root, real);
      return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
    };
    const top = within(repo) ? inRepo.split(sep)[0]! : undefined;
    if ((top !== undefined && PROTECTED.includes(top)) || gitDirs.some(within)) {
      throw refuse(
        file,
        `is inside ${top && PROTECTED.includes(top) ? `${top}/` : "git's own folder"}, which plover reads or git owns; export outside it, e.g. --out dist/sft.jsonl`,
      );
    }
    const stat = await lstat(file).catch((err: unknown) => {
      // ENOENT: nothing there yet, which is the usual case.
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (stat && !stat.isFile()) {
      const what = stat.isDirectory() ? 'a directory' : stat.isSymbolicLink() ? 'a symbolic link' : 'not a regular file (a device, pipe or socket)';
      throw refuse(file, `is ${what}; --out names the .jsonl file to write, e.g. --out dist/sft.jsonl`);
    }
    if (top !== undefined && (await isTracked(repo, inRepo))) {
      throw refuse(
        file,
        'is a file git tracks, which an export would overwrite; choose an --out git does not track (a folder in .gitignore, such as dist/), or stop tracking the file with `git rm --cached`',
      );
    }
  }
  await checkEarlierExport(out, manifest);
}

/** An existing file at `out` may be replaced only when it is the export its manifest describes. */
async function checkEarlierExport(out: string, manifest: string): Promise<void> {
  const outExists = await exists(out);
  const manifestExists = await exists(manifest);
  if (!outExists && !manifestExists) return;
  let described: { file?: unknown; sha256?: unknown; schema_version?: unknown } | undefined;
  if (manifestExists) {
    try {
      described = JSON.parse(await readFile(manifest, 'utf8'));
    } catch {
      described = undefined;
    }
    if (
      typeof described !== 'object' ||
      described === null ||
      described.file !== basename(out) ||
      typeof described.sha256 !== 'string' ||
      typeof described.schema_version !== 'number'
    ) {
      throw refuse(manifest, `exists and is not the manifest of a plover export to ${basename(out)}; move it away or choose another --out`);
    }
  }
  if (outExists && (!described || described.sha256 !== (await sha256File(out)))) {
    throw refuse(
      out,
      `exists and is not an export plover wrote (${described ? `it no longer matches ${basename(manifest)}` : `no ${basename(manifest)} beside it describes it`}); move it away or choose another --out`,
    );
  }
}

function refuse(file: string, message: string): PloverError {
  return new PloverError('E_BAD_OUT', `--out: ${file} ${message}; nothing was written`);
}

/** The real path of a file that may not exist yet: its nearest existing folder resolved, the rest appended. */
async function realPathOf(file: string): Promise<string> {
  const parts = [basename(file)];
  let folder = dirname(resolve(file));
  for (;;) {
    try {
      return join(await realpath(folder), ...parts);
    } catch (err) {
      // ENOENT: that folder does not exist yet; the export creates it.
      if (errorCode(err) !== 'ENOENT' || folder === dirname(folder)) throw err;
      parts.unshift(basename(folder));
      folder = dirname(folder);
    }
  }
}

/** git's folders for the repository at `repo` (a worktree's own and the common one), real paths; none outside git. */
async function gitDirectories(repo: string): Promise<string[]> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--absolute-git-dir', '--git-common-dir'], { cwd: repo });
    const [own, common] = stdout.split('\n');
    return Promise.all([own!, resolve(repo, common!)].map((d) => realpath(d)));
  } catch {
    return []; // not a git repository: only the folders by name are protected
  }
}

async function isTracked(repo: string, path: string): Promise<boolean> {
  try {
    const { stdout } = await run('git', ['--literal-pathspecs', 'ls-files', '-z', '--', path], { cwd: repo });
    return stdout.length > 0;
  } catch {
    return false; // not a git repository: nothing is tracked
  }
}

async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined;
}

/**
 * The sha256 of a file, hashed on a thread of its own: an earlier export at 100k lines is
 * ~250 MB, and the export reads the candidates on the main thread meanwhile.
 */
function sha256File(file: string): Promise<string> {
  return new Promise((resolveHash, reject) => {
    // No flags of the process: a script given with -e passes --input-type, which a worker refuses.
    const worker = new Worker(HASH_FILE, { eval: true, workerData: file, execArgv: [] });
    worker.once('message', resolveHash);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the thread hashing ${file} stopped (exit code ${code}) before it was done`)));
  });
}

const HASH_FILE = `
const { workerData, parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1 << 20);
const fd = openSync(workerData, 'r');
try {
  for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;
