/**
 * Slugs: the URL-friendly unique names of products and categories ("classic-oak-kettle-120").
 * A product's slug is derived from its name when it is created (or given by the caller), and
 * kept when the product is renamed, so its URLs stay.
 */

/** The most characters a slug may have. */
export const MAX_SLUG_LENGTH = 100;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Whether `text` is a slug: lower-case letters and digits in words joined by single hyphens. */
export function isSlug(text: string): boolean {
  return text.length <= MAX_SLUG_LENGTH && SLUG.test(text);
}

/**
 * The slug a name gives: accents dropped, lower case, every run of other characters one
 * hyphen, at most MAX_SLUG_LENGTH characters less room for a numeric suffix; "product" for a
 * name with no letter or digit. A product whose slug another product has takes its id after it.
 */
export function productSlug(name: string): string {
  const slug = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG_LENGTH - 12)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'product' : slug;
}
