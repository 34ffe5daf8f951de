/**
 * Export lines checked against the chat template of the model they will train, rendered
 * with `@huggingface/jinja` as transformers renders them: the target must appear in the
 * render as written (up to the whitespace at its ends that some templates trim from every
 * message), the rendered prompt must be the start of the rendered prompt and
 * completion (where a trainer splits them), and a system prompt must not vanish.
 */
import { Template } from '@huggingface/jinja';
import { PloverError } from '../errors.ts';
import type { ExportRecord } from './export-format.ts';
import { parseJsonText } from '../json.ts';

type Msg = { role: string; content: string };

/** The most --chat-template reads: a tokenizer_config.json with a large added-token table stays well under it. */
export const MAX_TEMPLATE_BYTES = 16 * 1024 * 1024;

export interface ChatTemplate {
  /** Where the template was read from, as given. */
  source: string;
  /** Renders a conversation; with `addGenerationPrompt`, the start of the assistant's turn after it. @throws what the template raises. */
  render(messages: Msg[], addGenerationPrompt: boolean): string;
}

/** A special token of a tokenizer config: a string, or an object with `content`. */
const tokenText = (value: unknown, fallback: string) =>
  typeof value === 'string'
    ? value
    : value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string'
      ? (value as { content: string }).content
      : fallback;

/**
 * Reads a chat template: a Jinja file, or a `tokenizer_config.json` holding `chat_template`
 * (a string, or a list of named templates, of which `default` is taken) and the
 * `bos_token` and `eos_token` it renders with.
 * @throws PloverError `E_USAGE` naming the file and the fix.
 */
export function loadChatTemplate(text: string, source: string): ChatTemplate {
  let template = text;
  let bos = '<s>';
  let eos = '</s>';
  if (/\.json$/i.test(source)) {
    const parsed = parseJsonText(text, { file: source });
    if (parsed.problems.length) throw new PloverError('E_USAGE', `--chat-template ${source}: ${parsed.problems[0]!.message}; give a tokenizer_config.json or a .jinja file`);
    const config = parsed.value as { chat_template?: unknown; bos_token?: unknown; eos_token?: unknown } | null;
    const raw = config && typeof config === 'object' ? config.chat_template : undefined;
    const chosen = Array.isArray(raw) ? (raw.find((t) => (t as { name?: unknown }).name === 'default') as { template?: unknown } | undefined)?.template : raw;
    if (typeof chosen !== 'string') {
      throw new PloverError(
        'E_USAGE',
        `--chat-template ${source}: no chat_template string${Array.isArray(raw) ? ' named "default"' : ''} in it; give the model's tokenizer_config.json, or its template as a .jinja file`,
      );
    }
    template = chosen;
    bos = tokenText(config!.bos_token, bos);
    eos = tokenText(config!.eos_token, eos);
  }
  let compiled: Template;
  try {
    compiled = new Template(template);
  } catch (err) {
    throw new PloverError('E_USAGE', `--chat-template ${source}: not a Jinja template this renderer reads (${(err as Error).message})`);
  }
  return {
    source,
    render: (messages, addGenerationPrompt) => compiled.render({ messages, bos_token: bos, eos_token: eos, add_generation_prompt: addGenerationPrompt }),
  };
}

const PROBE = 'plover-probe: a system prompt';

/**
 * Whether the template renders a system prompt where a trainer keeps it: it neither
 * refuses one (Gemma-2) nor drops or moves it (Mistral v0.3 and Nemo put it in the
 * last user turn, so the prompt alone renders differently from prompt and answer).
 */
export function rendersSystem(template: ChatTemplate): boolean {
  for (const turns of [
    [{ role: 'user', content: 'Q1' }],
    [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Q2' },
    ],
  ]) {
    const prompt = [{ role: 'system', content: PROBE }, ...turns];
    try {
      if (splitProblems(template, prompt, 'A2').length) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The problems of one prompt and completion: the render, the target in it, the split, the system prompt. */
function splitProblems(template: ChatTemplate, prompt: Msg[], completion: string): string[] {
  const problems: string[] = [];
  const whole = template.render([...prompt, { role: 'assistant', content: completion }], false);
  // Llama 3 and Gemma trim every message: the first line's indentation goes, which they do to every text alike.
  if (!whole.includes(completion) && !whole.includes(completion.trim())) problems.push('the target is not in the render as written (the template changes it)');
  const start = template.render(prompt, true);
  if (!whole.startsWith(start))
    problems.push('the rendered prompt is not the start of the rendered prompt and answer, so a trainer cannot split them (TRL raises, or trains on part of the prompt)');
  for (const m of prompt) {
    const text = m.content.trim();
    if (m.role === 'system' && text && !whole.includes(text)) problems.push('the template drops the system prompt');
  }
  return problems;
}

/** The conversations of a line to render: its prompt and each answer in it (chosen and rejected both). */
function conversations(line: ExportRecord): { prompt: Msg[]; answers: string[]; split: boolean } {
  const plain = (messages: Msg[]) => messages.map((m) => ({ role: m.role, content: m.content }));
  if ('messages' in line) return { prompt: plain(line.messages.slice(0, -1)), answers: [line.messages.at(-1)!.content], split: false };
  if ('input' in line) return { prompt: plain(line.input.messages), answers: [line.preferred_output[0]!.content, line.non_preferred_output[0]!.content], split: true };
  if ('chosen' in line) return { prompt: plain(line.prompt), answers: [line.chosen[0]!.content, line.rejected[0]!.content], split: true };
  return { prompt: plain(line.prompt), answers: [line.completion[0]!.content], split: true };
}

/**
 * Renders one export line as a trainer would and says what goes wrong: the template
 * refuses it, changes the target, renders the prompt differently alone than with the
 * answer (the prompt formats, which trainers split), or drops the system prompt.
 * @returns one phrase per problem; none when the line renders as meant.
 */
export function checkLine(template: ChatTemplate, line: ExportRecord): string[] {
  const { prompt, answers, split } = conversations(line);
  const problems = new Set<string>();
  for (const answer of answers) {
    try {
      for (const p of splitProblems(template, prompt, answer)) if (split || !p.startsWith('the rendered prompt')) problems.add(p);
    } catch (err) {
      problems.add(`the template refuses it: ${(err as Error).message}`);
    }
  }
  return [...problems];
}
