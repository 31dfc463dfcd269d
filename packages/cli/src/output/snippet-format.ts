const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };

const BOLD_ON = '\x1b[1m';
const BOLD_OFF = '\x1b[22m';

/**
 * Turns a search snippet (HTML: matched terms in `<mark>`, other text escaped) into terminal text: marked
 * terms in bold on a terminal, in [brackets] where bold cannot show (pipes, files, NO_COLOR), entities
 * decoded, line breaks folded so each result stays compact.
 */
export function renderSnippet(snippet: string, bold: boolean): string {
  const marked = snippet.replace(/<mark>/g, bold ? BOLD_ON : '[').replace(/<\/mark>/g, bold ? BOLD_OFF : ']');
  // One pass, so `&amp;lt;` becomes the text `&lt;` and is not decoded twice.
  const decoded = marked.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name: string) => ENTITIES[name] ?? '');
  return decoded.replace(/\s+/g, ' ').trim();
}
