/** At most this many terms of a search query are used; the rest are ignored. */
export const MAX_SEARCH_TERMS = 16

/**
 * The terms of a lexical search: words (a letter or digit, then letters, digits and combining
 * marks), lower-cased, without repeats, at most `MAX_SEARCH_TERMS`. Both stores build their
 * match expressions from these alone, so nothing a client types reaches the SQL as syntax.
 */
export function searchTerms(text: string): string[] {
  const terms = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu) ?? []
  return [...new Set(terms)].slice(0, MAX_SEARCH_TERMS)
}
