export {
  lowercase,
  stripTags,
  stripPunctuation,
  stripMultipleWhitespaces,
  stripNumeric,
  stripNonAlphanum,
  splitAlphanum,
  removeStopwords,
  stripShort,
  stemText,
  FILTERS,
  DEFAULT_FILTERS,
  DEFAULT_FILTER_NAMES,
  type Filter,
} from './filters.js';
export { STOPWORDS } from './stopwords.js';
export { stem, StemCache } from './porter.js';
export { tokenize, simplePreprocess, deaccent, type TokenizeOptions, type SimplePreprocessOptions } from './tokenize.js';
export { preprocessString, compileFilters, type FilterSpec, type FilterChainOptions } from './preprocess.js';
export { preprocess, type PreprocessOptions } from './operator.js';
export { pythonLower, pySplit, codePointLength } from './unicode.js';
