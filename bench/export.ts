/**
 * `npm run bench` (part 2): `plover export` as corrections grow, with the candidates
 * held constant, so what grows is only the corrections. Each measurement runs in a
 * fresh Node process that reports its own time and peak RSS. The floor is one pass that
 * reads and JSON-parses the same files (candidates and corrections) and nothing more, the
 * candidate file a chunk at a time as the export reads it.
 * Writes docs/bench/export.md and docs/bench/export.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, addCorrections, generateRepository, git, median } from './generate.ts';

const SIZES = (process.env.BENCH_EXPORT_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CANDIDATES = Math.max(...SIZES);

/** Runs `code` (an ES module body) in a fresh Node process; it must print `{ms}`; peak RSS is added. */
function measure(dir: string, code: string): { ms: number; rss_mb: number } {
  const wrapped = `${code}\nconsole.log(JSON.stringify({ ms, rss_mb: process.resourceUsage().maxRSS / 1024 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', wrapped], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** \`plover export\` with its defaults (earlier turns replaced by their corrections, system prompts kept…). */
const exportCode = `
const { writeExport } = await import(${JSON.stringify(join(ROOT, 'src/node/export-files.ts'))});
const { DEFAULT_EXPORT_OPTIONS } = await import(${JSON.stringify(join(ROOT, 'src/lib/export/export-format.ts'))});
const t = performance.now();
await writeExport({ dir: process.cwd(), out: 'dist/sft.jsonl', ...DEFAULT_EXPORT_OPTIONS });
const ms = performance.now() - t;`;

/** The same export with every line rendered through Llama 3.1's chat template (--chat-template). */
const templateCode = `
const { writeExport } = await import(${JSON.stringify(join(ROOT, 'src/node/export-files.ts'))});
const { DEFAULT_EXPORT_OPTIONS } = await import(${JSON.stringify(join(ROOT, 'src/lib/export/export-format.ts'))});
const { loadChatTemplate } = await import(${JSON.stringify(join(ROOT, 'src/lib/export/chat-template.ts'))});
const { readFileSync } = await import('node:fs');
const chatTemplate = loadChatTemplate(readFileSync(${JSON.stringify(join(ROOT, 'tests/fixtures/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja'))}, 'utf8'), 'llama-3.1.jinja');
const t = performance.now();
await writeExport({ dir: process.cwd(), out: 'dist/sft.jsonl', ...DEFAULT_EXPORT_OPTIONS, chatTemplate });
const ms = performance.now() - t;`;

const floorCode = `
import { openSync, readSync, readdirSync, readFileSync } from 'node:fs';
const t = performance.now();
let n = 0;
// The candidate file a chunk at a time, each line decoded and parsed as it comes, as the
// export reads it (a line of ASCII stays a one-byte string; a whole chunk with one accent would not).
const fd = openSync('candidates/run_bench.jsonl', 'r');
const chunk = Buffer.allocUnsafe(4 << 20);
const decoder = new TextDecoder();
let rest = Buffer.alloc(0);
const take = (bytes) => { if (bytes.length) { JSON.parse(decoder.decode(bytes)); n++; } };
for (let got; (got = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
  let at = 0;
  for (let nl; (nl = chunk.indexOf(10, at)) !== -1 && nl < got; at = nl + 1) {
    take(rest.length ? Buffer.concat([rest, chunk.subarray(at, nl)]) : chunk.subarray(at, nl));
    rest = Buffer.alloc(0);
  }
  rest = Buffer.concat([rest, chunk.subarray(at, got)]);
}
take(rest);
for (const shard of readdirSync('corrections')) for (const f of readdirSync('corrections/' + shard)) { JSON.parse(readFileSync('corrections/' + shard + '/' + f, 'utf8')); n++; }
const ms = performance.now() - t;`;

interface Row {
  corrections: number;
  candidates: number;
  export_ms: number;
  export_peak_rss_mb: number;
  /** The first export of the clone, with no token counts kept yet. */
  first_export_ms: number;
  /** An export with every line checked against a chat template (--chat-template). */
  template_export_ms: number;
  floor_ms: number;
  floor_peak_rss_mb: number;
  ratio_to_floor: number;
}

const rows: Row[] = [];
process.stdout.write(`generating a repository with ${CANDIDATES} candidates… `);
const dir = generateRepository(CANDIDATES);
console.log('done');
let have = 0;
for (const n of SIZES) {
  addCorrections(dir, have, n);
  have = n;
  // The files just written are still being flushed to disk: one untimed pass first, then
  // export and floor in turn, so neither gets a quieter machine than the other.
  execFileSync('sync');
  measure(dir, floorCode);
  // The first export of a clone counts every text's tokens (the cold row); later ones find
  // the counts in .git/plover/token-counts and count only new texts.
  rmSync(join(dir, '.git/plover'), { recursive: true, force: true });
  const cold = measure(dir, exportCode);
  const exports: { ms: number; rss_mb: number }[] = [];
  const floors: { ms: number; rss_mb: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    exports.push(measure(dir, exportCode));
    floors.push(measure(dir, floorCode));
  }
  const templated = measure(dir, templateCode);
  const row: Row = {
    corrections: n,
    candidates: CANDIDATES,
    export_ms: Math.round(median(exports.map((e) => e.ms))),
    export_peak_rss_mb: Math.round(median(exports.map((e) => e.rss_mb))),
    first_export_ms: Math.round(cold.ms),
    template_export_ms: Math.round(templated.ms),
    floor_ms: Math.round(median(floors.map((e) => e.ms))),
    floor_peak_rss_mb: Math.round(median(floors.map((e) => e.rss_mb))),
    ratio_to_floor: 0,
  };
  row.ratio_to_floor = Math.round((row.export_ms / row.floor_ms) * 100) / 100;
  rows.push(row);
  console.log(row);
}
rmSync(dir, { recursive: true, force: true });

const table = [
  '| corrections | candidates | export | export peak RSS | floor (read + parse) | floor peak RSS | export ÷ floor | first export (no token counts kept) | first ÷ floor | export with --chat-template | template check ÷ export |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.corrections} | ${r.candidates} | ${r.export_ms} ms | ${r.export_peak_rss_mb} MB | ${r.floor_ms} ms | ${r.floor_peak_rss_mb} MB | ${r.ratio_to_floor} | ${r.first_export_ms} ms | ${Math.round((r.first_export_ms / r.floor_ms) * 100) / 100} | ${r.template_export_ms} ms | ${Math.round((r.template_export_ms / r.export_ms) * 100) / 100} |`,
  ),
].join('\n');
const meta = { date: new Date().toISOString(), runs: RUNS, node: process.version, git: git(ROOT, '--version').trim() };
mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
writeFileSync(join(ROOT, 'docs/bench/export.json'), `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
writeFileSync(
  join(ROOT, 'docs/bench/export.md'),
  `# Exporting\n\nMedians of ${RUNS} runs each, each in a fresh process; ${meta.node}, ${meta.git}; ${meta.date}. Generated by \`npm run bench\`. The candidates stay at ${CANDIDATES} while the corrections grow, so what the peak memory shows is what the corrections cost. Each correction is a real response with a line added, so every target is its own text. "export" is \`plover export\` with its defaults, after the first (token counts found in .git/plover/token-counts); "first export" is a clone's first, which counts every text; "export with --chat-template" renders every line through Llama 3.1's template (one run). The floor reads and JSON-parses the same files and holds nothing: the candidate file a chunk at a time, each line decoded alone, as the export reads it.\n\n${table}\n`,
);
console.log(`\n${table}\n\nwrote docs/bench/export.md and docs/bench/export.json`);
