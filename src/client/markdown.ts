/**
 * Markdown for untrusted text (prompts and model responses). Raw HTML in the text is
 * shown as text, never parsed as HTML; the rendered result is sanitised by DOMPurify
 * anyway (defence in depth); images are not loaded (a model's `![](url)` becomes a link),
 * and links open in a new tab without a referrer. Browser only (DOMPurify needs a DOM).
 */
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Raw HTML blocks and inline tags in a model's answer are text to read, not markup.
    html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text),
    image: (token: Tokens.Image) => `<a href="${escapeHtml(token.href)}" class="image-link">[image: ${escapeHtml(token.text || token.href)}]</a>`,
  },
});

let hooked = false;
function purifier() {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Safe HTML for `text` rendered as Markdown. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return purifier().sanitize(html, {
    FORBID_TAGS: ['img', 'style', 'iframe', 'form', 'input', 'svg', 'math', 'video', 'audio', 'object', 'embed'],
    FORBID_ATTR: ['style'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}
