/**
 * An ILIKE pattern that matches `text` anywhere. LIKE treats %, _ and \ specially; a search
 * for "50%" means those characters, so they are escaped.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
