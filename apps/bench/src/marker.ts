/** Prefix of the line on which a benchmark child prints its JSON result. */
export const RESULT_MARKER = '@@bench-result@@';
