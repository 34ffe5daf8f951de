/**
 * Writes the export, streaming: `<name>.jsonl` and `<name>.manifest.json`, each
 * renamed into place only when complete. Corrections are read a batch at a time and
 * lines written as they are compiled; candidates are kept as where their lines are
 * (CandidateIndex), so memory does not grow with the texts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import cliProgress from 'cli-progress';
import { checkLine, type ChatTemplate } from '../lib/export/chat-template.ts';
import { plural } from '../lib/plural.ts';
import { PloverError } from '../lib/errors.ts';
import type { Conflict } from '../lib/team/resolve.ts';
import { ExportCompiler } from '../lib/export/export.ts';
import { serializeExportLine, type ControlTokenLine, type ExportCounts, type ExportOptions, type SystemPolicy } from '../lib/export/export-format.ts';
import { summarizeLengths, type LengthSummary } from '../lib/export/lengths.ts';
import { SCHEMA_VERSION } from '../lib/records/schemas.ts';
import { invalidRepository } from '../lib/records/repository.ts';
import { CandidateIndex } from '../lib/records/candidate-index.ts';
import { datasetSettings, writeDatasetCard } from './dataset-card.ts';
import { TOKENIZER, TokenCountCache } from './token-count.ts';
import { readCorrectionsOnThread } from './corrections-thread.ts';
import { candidatesApart } from './candidates-apart.ts';
import { EarlierTurnFinder } from '../lib/export/earlier-turns.ts';
import { fingerprint } from './fingerprint.ts';
import { gitRefSource, worktreeSource } from './sources.ts';
import { writeFileAtomic } from './atomic-fs.ts';
import { checkExportTarget } from './export-target.ts';
import { readConfigFile, readConfigFileAt, SITE_CONFIG_FILE } from './site-config.ts';
import { adjudicationProblem, checkConfig } from '../lib/team/team.ts';
import type { DataSource } from '../lib/records/repository.ts';
import type { Config } from '../lib/records/schema-types.generated.ts';

const run = promisify(execFile);
const FLUSH_BYTES = 1024 * 1024;
/** Exports with fewer corrections finish before a progress bar is worth drawing. */
const PROGRESS_FROM = 5000;

export interface Manifest {
  /** Where the dataset card was written (not part of the manifest file); null when a README.md of someone else's was left alone. */
  card?: string | null;
  file: string;
  sha256: string;
  bytes: number;
  /** The commit the data was read from: `--ref`'s, else HEAD (null outside a git repository). */
  source_commit: string | null;
  /** `--ref` as given, or null when the working tree was read. */
  source_ref: string | null;
  /** Working tree only: false when candidates/ or corrections/ had uncommitted changes, so the commit alone does not reproduce the file. */
  worktree_clean: boolean | null;
  schema_version: number;
  options: ExportOptions;
  counts: ExportCounts;
  /** Line lengths in tokens, of the exported lines (after --max-tokens). */
  lengths: LengthSummary & { tokenizer: string };
  conflicts: Conflict[];
  /** Exported lines with a chat-template control token in a message (src/lib/export/control-tokens.ts). */
  control_tokens: ControlTokenLine[];
  /** Lines left out by --max-tokens, with their length. */
  too_long: { candidate_id: string; tokens: number }[];
  /** Lines left out because their target holds a control token (without --allow-control-tokens), with those tokens. */
  control_token_targets: { candidate_id: string; tokens: string[] }[];
  /** Lines left out because an earlier line has the same prompt and target (without --keep-duplicates), with that line's candidate. */
  duplicates: { candidate_id: string; same_as: string }[];
  /** The chat template every line was rendered through (--chat-template), the system policy it led to, and how many lines do not render as meant; null without one. */
  chat_template: { source: string; system: SystemPolicy; system_auto: boolean; lines_with_problems: number } | null;
  /** Each line that does not render as meant through the chat template: its number in the file, its candidate, what goes wrong. */
  template_problems: TemplateProblem[];
  /** Lines whose context holds an earlier assistant turn nobody corrected (the model's failed answer): how many such turns, and whether --reviewed-context-only left them out. */
  unreviewed_context: { candidate_id: string; turns: number; left_out: boolean }[];
}

export interface WriteExportOptions extends ExportOptions {
  /** The repository. */
  dir: string;
  out: string;
  /** Read from this git ref instead of the working tree. */
  ref?: string;
  /** Draw a progress bar on stderr (a terminal) for long exports. */
  progress?: boolean;
  /** Refuse the export (write nothing) when an exported line holds a control token. */
  failOnControlTokens?: boolean;
  /** Render every line through this chat template and list what goes wrong (src/lib/export/chat-template.ts). */
  chatTemplate?: ChatTemplate;
  /** The system policy was chosen from the template (--system auto). */
  systemAuto?: boolean;
  /** Refuse the export (write nothing) when a line does not render as meant through the chat template. */
  failOnTemplate?: boolean;
}

/**
 * Compiles the export of a repository and writes it, with its manifest and the dataset
 * card (README.md) of the folder.
 * @throws PloverError `E_INVALID_REPOSITORY` listing every problem, `E_BAD_REF`,
 * `E_CONTROL_TOKENS` (with failOnControlTokens), `E_BAD_OUT` (see checkExportTarget);
 * nothing is written then.
 */
export async function writeExport(options: WriteExportOptions): Promise<Manifest> {
  const { dir, out, ref, progress, failOnControlTokens, chatTemplate, systemAuto, failOnTemplate, ...exportOptions } = options;
  const templateProblems: TemplateProblem[] = [];
  let lineNumber = 0;
  // Checked while the candidates are read (an earlier export is hashed on a thread of its own), and awaited before anything is written.
  const target = checkExportTarget(dir, out, manifestPath(out));
  target.catch(() => undefined); // awaited below; this only keeps a refusal from being "unhandled" while it waits
  const source: DataSource & { commit?: string } = ref
    ? await gitRefSource(dir, ref).catch(async (err: unknown) => {
        await target; // a refused --out is told first, as when nothing else is wrong
        throw err;
      })
    : worktreeSource(dir);
  const temp = `${out}.tmp-${process.pid}`;
  let writer: LineWriter | undefined;
  let bar: cliProgress.SingleBar | undefined;
  // Asked of git while the export runs, on the other core (git status alone is ~0.3 s at 100k files); never rejected.
  const commit = source.commit ? Promise.resolve(source.commit) : gitOutput(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  const clean = ref ? Promise.resolve(null) : gitOutput(dir, ['status', '--porcelain', '--', 'candidates', 'corrections']).then((s) => (s === null ? null : s === ''));
  // The corrections are read on a second thread, beside the candidates here and everything after.
  const corrections = readCorrectionsOnThread({
    dir,
    ...(source.commit ? { commit: source.commit } : {}),
    countTokens: true,
    ...(exportOptions.substituteEarlierTurns ? { earlierTurns: exportOptions.resolve } : {}),
  });
  try {
    // Earlier turns are found as the candidates are read, from fingerprints of their texts.
    const turns = exportOptions.substituteEarlierTurns ? new EarlierTurnFinder(fingerprint) : undefined;
    // The working tree's large candidate files are read half here, half on a thread of their own.
    const apart = ref ? undefined : candidatesApart(dir, turns);
    const { candidates, problems } = await CandidateIndex.read(source, turns && (({ candidate }) => turns.add(candidate)), apart).finally(() => apart?.close());
    // The reading thread settles them (it waits for them before it sends a group).
    const earlierTurns = turns?.result();
    if (earlierTurns) corrections.earlierTurns(earlierTurns);
    await target;
    // The configuration (and with it who may adjudicate) is checked as validate checks it, from the same commit.
    const config = source.commit ? await readConfigFileAt(dir, source.commit) : readConfigFile(dir);
    const team = checkConfig(config, SITE_CONFIG_FILE);
    problems.push(...team.problems);
    const tokens = await TokenCountCache.open(dir);
    const compiler = new ExportCompiler(candidates, exportOptions, {
      ...(earlierTurns ? { earlier: { turns: earlierTurns.turns, corrected: corrections.corrected, tokens: corrections.correctedTokens } } : {}),
      countTokens: tokens.count,
      fingerprint,
    });
    writer = new LineWriter(out, temp);

    const total = progress ? (await source.list('corrections')).length : 0;
    if (total >= PROGRESS_FROM) {
      bar = new cliProgress.SingleBar(
        { format: 'exporting [{bar}] {value}/{total} corrections, {eta_formatted} left', stream: process.stderr, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    }
    let seen = 0;
    for await (const group of corrections.groups) {
      if (!team.problems.length) {
        for (const located of group) {
          const forged = adjudicationProblem(team.team, located);
          if (forged) problems.push(forged);
        }
      }
      const lines = compiler.add(group);
      seen += group.length;
      bar?.update(seen);
      // Once anything is wrong nothing will be written: keep reading only to list every problem.
      if (problems.length || corrections.problems.length || compiler.problems.length) continue;
      for (const line of lines) {
        lineNumber += 1;
        if (chatTemplate) {
          const found = checkLine(chatTemplate, line);
          if (found.length) templateProblems.push({ line: lineNumber, candidate_id: group[0]!.correction.candidate_id, problems: found });
        }
        await writer.add(serializeExportLine(line));
      }
    }
    bar?.stop();
    const all = [...problems, ...corrections.problems, ...compiler.problems];
    if (all.length) throw invalidRepository(all);
    const withTokens = [...compiler.controlTokenLines, ...compiler.controlTokenTargets.map((t) => ({ ...t, in_target: true, left_out: true }))];
    if (failOnControlTokens && withTokens.length) throw controlTokensFound(withTokens);
    if (failOnTemplate && templateProblems.length) throw templateRefused(chatTemplate!, templateProblems);
    const written = await writer.finish();

    const manifest: Manifest = {
      file: basename(out),
      sha256: written.sha256,
      bytes: written.bytes,
      source_commit: await commit,
      source_ref: ref ?? null,
      worktree_clean: await clean,
      schema_version: SCHEMA_VERSION,
      options: exportOptions,
      counts: compiler.result(),
      lengths: { tokenizer: TOKENIZER, ...summarizeLengths(compiler.lineTokens) },
      conflicts: compiler.conflicts,
      control_tokens: compiler.controlTokenLines,
      too_long: compiler.tooLong,
      control_token_targets: compiler.controlTokenTargets,
      duplicates: compiler.duplicates,
      unreviewed_context: compiler.unreviewedContext,
      chat_template: chatTemplate
        ? { source: chatTemplate.source, system: exportOptions.system, system_auto: Boolean(systemAuto), lines_with_problems: templateProblems.length }
        : null,
      template_problems: templateProblems,
    };
    await rename(temp, out);
    await writeFileAtomic(manifestPath(out), `${JSON.stringify(manifest, null, 2)}\n`);
    // The config is valid here (checked above, from the same commit as the data): its `dataset` is what the schema says.
    manifest.card = await writeDatasetCard(dirname(resolve(out)), datasetSettings(config as Config | undefined), writeFileAtomic);
    if (corrections.tokenCounts) tokens.merge(corrections.tokenCounts);
    await tokens.save(writeFileAtomic);
    return manifest;
  } catch (err) {
    bar?.stop();
    await writer?.discard();
    throw err;
  } finally {
    source.close();
    await corrections.stop();
  }
}

/**
 * The export file being written, at `temp` until renamed: lines are encoded straight into
 * one of two buffers (no joined string to copy first), and one buffer is written while the
 * next lines are compiled into the other (awaiting each write left the export idle 4% of
 * its time at 100k). The file is opened at the first write: invalid input leaves no file
 * and no folder behind.
 */
class LineWriter {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private file: FileHandle | undefined;
  private readonly buffers = [Buffer.allocUnsafe(FLUSH_BYTES), Buffer.allocUnsafe(FLUSH_BYTES)];
  private buffer = this.buffers[0]!;
  private used = 0;
  private writing: Promise<unknown> = Promise.resolve();

  private readonly out: string;
  private readonly temp: string;

  constructor(out: string, temp: string) {
    this.out = out;
    this.temp = temp;
  }

  /** A line, at most 3 bytes of UTF-8 per UTF-16 code unit. */
  async add(text: string): Promise<void> {
    if (this.used + text.length * 3 > FLUSH_BYTES) await this.flush();
    if (text.length * 3 > FLUSH_BYTES) await this.write(Buffer.from(text, 'utf8'));
    else this.used += this.buffer.write(text, this.used, 'utf8');
  }

  /** Writes what is buffered and closes the file. @returns the file's sha256 and size. */
  async finish(): Promise<{ sha256: string; bytes: number }> {
    await this.flush();
    await this.writing;
    await this.file?.close();
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  /** After a failure: the file is closed and removed. */
  async discard(): Promise<void> {
    if (!this.file) return;
    await this.file.close().catch(() => undefined); // already closed when the failure came after it
    await rm(this.temp, { force: true });
  }

  private async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.file) {
      await mkdir(dirname(resolve(this.out)), { recursive: true });
      this.file = await open(this.temp, 'w');
    }
    await this.writing;
    this.writing = this.file.write(chunk);
    this.writing.catch(() => undefined); // awaited at the next write or the end; this only keeps it from being "unhandled"
  }

  private async flush(): Promise<void> {
    const chunk = this.buffer.subarray(0, this.used);
    // The other buffer is free once the write before this one is done (write awaits it).
    this.buffer = this.buffer === this.buffers[0] ? this.buffers[1]! : this.buffers[0]!;
    this.used = 0;
    await this.write(chunk);
  }
}

/** The refusal of --fail-on-control-tokens: every line with a control token, those left out for one in their target included. */
function controlTokensFound(lines: (ControlTokenLine & { left_out?: boolean })[]): PloverError {
  const shown = lines.slice(0, 20).map((l) => `  ${l.candidate_id}: ${l.tokens.join(' ')}${l.left_out ? ' (in the target: left out)' : l.in_target ? ' (in the target)' : ''}`);
  if (lines.length > 20) shown.push(`  … and ${lines.length - 20} more`);
  return new PloverError(
    'E_CONTROL_TOKENS',
    `${plural(lines.length, 'line')} hold chat-template control tokens, which a tokenizer turns into real turn markers:\n${shown.join('\n')}\nedit those corrections (or discard the candidates), or export without --fail-on-control-tokens; nothing was written`,
  );
}

/** A line that does not render as meant through the chat template. */
export interface TemplateProblem {
  /** 1-based, in the exported file. */
  line: number;
  candidate_id: string;
  problems: string[];
}

/** The refusal of --fail-on-template. */
function templateRefused(template: ChatTemplate, found: TemplateProblem[]): PloverError {
  const shown = found.slice(0, 20).map((p) => `  line ${p.line} (${p.candidate_id}): ${p.problems.join('; ')}`);
  if (found.length > 20) shown.push(`  … and ${found.length - 20} more`);
  return new PloverError(
    'E_TEMPLATE',
    `${plural(found.length, 'line')} do not render as meant through the chat template ${template.source}:\n${shown.join('\n')}\n--system auto (the default with --chat-template) or --system merge deals with system prompts; export without --fail-on-template to list them in the manifest instead; nothing was written`,
  );
}

/** `dist/sft.jsonl` → `dist/sft.manifest.json`. */
export function manifestPath(out: string): string {
  return `${out.replace(/\.jsonl$/, '')}.manifest.json`;
}

/** The trimmed stdout of a git command, or null when git is missing or it fails (not a repository). */
async function gitOutput(dir: string, args: string[]): Promise<string | null> {
  try {
    return (await run('git', args, { cwd: dir })).stdout.trim();
  } catch {
    return null;
  }
}
