/** Untrusted text shown as sanitised Markdown, or raw (as typed) when `raw` is set. */
import { Show } from 'solid-js';
import { renderMarkdown } from '../client/markdown.ts';

export interface RichTextProps {
  text: string;
  raw: boolean;
}

export function RichText(props: RichTextProps) {
  return (
    <Show when={!props.raw} fallback={<pre class="text">{props.text}</pre>}>
      {/* renderMarkdown escapes raw HTML and sanitises the result with DOMPurify. */}
      <div class="text markdown" innerHTML={renderMarkdown(props.text)} />
    </Show>
  );
}
