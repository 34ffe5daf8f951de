/** Writes the export: `<name>.jsonl` and `<name>.manifest.json`, each atomically. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { compileExport, serializeExportLine, type ExportCounts } from '../lib/export.ts';
import { SCHEMA_VERSION } from '../lib/schemas.ts';
import { invalidRepository, readRepository } from './repository.ts';

const run = promisify(execFile);

export interface Manifest {
  file: string;
  sha256: string;
  bytes: number;
  /** The commit checked out when exporting (null outside a git repository). */
  source_commit: string | null;
  /** False when candidates/ or corrections/ had uncommitted changes: the commit alone does not reproduce the file. */
  worktree_clean: boolean | null;
  schema_version: number;
  counts: ExportCounts;
}

/**
 * Compiles the export of the repository at `dir` and writes it to `out`.
 * @throws PloverError `E_INVALID_REPOSITORY` listing every problem; nothing is written then.
 */
export async function writeExport(dir: string, out: string): Promise<Manifest> {
  const data = await readRepository(dir);
  const compiled = compileExport(data.candidates, data.corrections);
  const problems = [...data.problems, ...compiled.problems];
  if (problems.length) throw invalidRepository(problems);

  const text = compiled.lines.map(serializeExportLine).join('');
  const bytes = Buffer.from(text, 'utf8');
  const manifest: Manifest = {
    file: basename(out),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    source_commit: await gitOutput(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']),
    worktree_clean: await gitOutput(dir, ['status', '--porcelain', '--', 'candidates', 'corrections']).then((s) =>
      s === null ? null : s === '',
    ),
    schema_version: SCHEMA_VERSION,
    counts: compiled.counts,
  };
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeAtomic(out, bytes);
  await writeAtomic(manifestPath(out), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** `dist/sft.jsonl` → `dist/sft.manifest.json`. */
export function manifestPath(out: string): string {
  return `${out.replace(/\.jsonl$/, '')}.manifest.json`;
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, data);
  await rename(temp, path);
}

/** The trimmed stdout of a git command, or null when git is missing or it fails (not a repository). */
async function gitOutput(dir: string, args: string[]): Promise<string | null> {
  try {
    return (await run('git', args, { cwd: dir })).stdout.trim();
  } catch {
    return null;
  }
}
