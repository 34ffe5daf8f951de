/**
 * Chat-template control tokens of the common model families. A tokenizer turns these
 * strings into real special tokens (end of turn, start of a role), so one inside a
 * training target teaches the model to end or fake a turn. This is the one list: the
 * review page, `plover validate` and the export all read it.
 */
import { compareOrdinal } from '../ordinal.ts';

/** Each family and the tokens its chat template or tokenizer treats as special. */
export const CONTROL_TOKEN_FAMILIES: { family: string; tokens: string[] }[] = [
  { family: 'Llama 3', tokens: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>', '<|eom_id|>', '<|python_tag|>'] },
  {
    family: 'Mistral',
    tokens: ['[INST]', '[/INST]', '[SYSTEM_PROMPT]', '[/SYSTEM_PROMPT]', '[AVAILABLE_TOOLS]', '[/AVAILABLE_TOOLS]', '[TOOL_CALLS]', '[TOOL_RESULTS]', '[/TOOL_RESULTS]'],
  },
  { family: 'ChatML / Qwen', tokens: ['<|im_start|>', '<|im_end|>'] },
  { family: 'Gemma', tokens: ['<start_of_turn>', '<end_of_turn>', '<bos>', '<eos>'] },
  { family: 'Phi-3 / zephyr', tokens: ['<|system|>', '<|user|>', '<|assistant|>', '<|end|>'] },
  { family: 'GPT / Phi', tokens: ['<|endoftext|>'] },
  { family: 'Llama 2 / Mistral (SentencePiece)', tokens: ['<s>', '</s>'] },
];

/** Every control token, longest first (so `[/INST]` is reported as itself, not as a part). */
export const CONTROL_TOKENS: string[] = [...new Set(CONTROL_TOKEN_FAMILIES.flatMap((f) => f.tokens))].sort((a, b) => b.length - a.length);

const PATTERN = new RegExp(CONTROL_TOKENS.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');

/** A control token found in a text, at a UTF-16 offset. */
export interface ControlTokenMatch {
  token: string;
  index: number;
}

/** Every control token in `text`, in order. */
export function findControlTokens(text: string): ControlTokenMatch[] {
  // Cheap test first: every token contains '<' or '['.
  if (!text.includes('<') && !text.includes('[')) return [];
  return [...text.matchAll(PATTERN)].map((m) => ({ token: m[0], index: m.index }));
}

/** The distinct control tokens in `text`, sorted. */
export function controlTokensIn(text: string): string[] {
  return [...new Set(findControlTokens(text).map((m) => m.token))].sort(compareOrdinal);
}
