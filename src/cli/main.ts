/**
 * The `plover` command. One top-level catch: a PloverError prints its message and
 * exits 1; anything else is a bug and prints its stack. Each command lives in its own
 * file under commands/ and is loaded only when it runs, so `plover help` loads none.
 */
import { PloverError, errorCode } from '../lib/errors.ts';
import { USAGE } from './usage.ts';

type Command = (args: string[]) => Promise<number | void>;

/** Each command, loaded when it runs: resolves to its exit code (0 when it says nothing). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.ts')).serve,
  submit: async () => (await import('./commands/submit.ts')).submit,
  export: async () => (await import('./commands/export.ts')).exportCommand,
  undo: async () => (await import('./commands/undo.ts')).undo,
  validate: async () => (await import('./commands/validate.ts')).validate,
  import: async () => (await import('./commands/import.ts')).importCommand,
  suggest: async () => (await import('./commands/suggest.ts')).suggestCommand,
  stats: async () => (await import('./commands/stats.ts')).statsCommand,
  conflicts: async () => (await import('./commands/conflicts.ts')).conflictsCommand,
  summary: async () => (await import('./commands/summary.ts')).summaryCommand,
};

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(USAGE);
      return 0;
    }
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new PloverError('E_USAGE', `unknown command ${JSON.stringify(command)}; see \`plover help\``);
    return (await (await load())(args)) ?? 0;
  } catch (err) {
    if (err instanceof PloverError) {
      console.error(`plover: ${err.message}`);
      return 1;
    }
    if (errorCode(err)?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`plover: ${(err as Error).message}; see \`plover help\``);
      return 1;
    }
    console.error('plover: unexpected error (a bug; please report it with this output):');
    console.error(err);
    return 2;
  }
}
