/**
 * An independent checker of the export rules in DESIGN.md (OpenAI chat fine-tuning,
 * TRL conversational, Axolotl chat_template), written from the rules, not from the code.
 * @returns one message per broken rule; empty when the file is valid.
 */
export function checkExportRules(bytes: Uint8Array): string[] {
  const errors: string[] = [];
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) errors.push('starts with a BOM');
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (text.includes('\r')) errors.push('has CR line ends');
  if (text.length && !text.endsWith('\n')) errors.push('does not end with a newline');
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line.trim() === '') return void errors.push(`${at}: blank`);
    const obj = JSON.parse(line);
    if (!Array.isArray(obj.messages) || obj.messages.length === 0) return void errors.push(`${at}: no messages`);
    for (const m of obj.messages) {
      if (typeof m.role !== 'string' || !['system', 'user', 'assistant'].includes(m.role)) errors.push(`${at}: bad role`);
      if (typeof m.content !== 'string' || m.content.length === 0) errors.push(`${at}: empty content (${m.role})`);
      if (Object.keys(m).some((k) => !['role', 'content', 'name', 'weight'].includes(k))) errors.push(`${at}: extra message key`);
    }
    if (!obj.messages.some((m: { role: string }) => m.role === 'assistant')) errors.push(`${at}: no assistant message`);
    if (obj.messages.at(-1).role !== 'assistant') errors.push(`${at}: last message is not the assistant's`);
    if (!('failure_category' in obj)) errors.push(`${at}: no failure_category beside messages`);
  });
  return errors;
}
