/** Longest part of X's text kept for the log (and for status()). */
export const DETAIL_CHARS = 300;

/**
 * The problem an error answer's body names (title, detail, errors[].message), one line, bounded;
 * the body itself, whitespace folded, when it is not such JSON; undefined when it is empty.
 */
export function answerProblem(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { title?: unknown; detail?: unknown; errors?: Array<{ message?: unknown; title?: unknown }> };
    const parts = [body.title, body.detail, ...(Array.isArray(body.errors) ? body.errors.map((e) => e?.message ?? e?.title) : [])].filter(
      (p): p is string => typeof p === 'string',
    );
    if (parts.length) return parts.join(': ').slice(0, DETAIL_CHARS);
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, DETAIL_CHARS) || undefined;
}

/**
 * What an in-stream system message (X's `{"errors": [...]}`, such as an operational disconnect)
 * says: each error's title, disconnect_type and detail, one line, bounded; undefined when the
 * line is not such JSON.
 */
export function systemMessageText(line: Buffer): string | undefined {
  let titles: string[] = [];
  try {
    const msg = JSON.parse(line.toString('utf8')) as { errors?: Array<{ title?: unknown; detail?: unknown; disconnect_type?: unknown }> };
    if (Array.isArray(msg.errors)) {
      titles = msg.errors.map((e) => [e?.title, e?.disconnect_type, e?.detail].filter((v) => typeof v === 'string').join(': '));
    }
  } catch {
    // Not JSON either: reported by size only.
  }
  return titles.length ? titles.join('; ').slice(0, DETAIL_CHARS) : undefined;
}
