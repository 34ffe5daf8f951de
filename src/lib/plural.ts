/** `1 line`, `2 lines`: a count with its noun, for messages and reports. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
