/**
 * Topic diversity (Dieng, Ruiz & Blei 2020, "Topic Modeling in Embedding Spaces"):
 * the share of unique words among the top-k words of all topics.
 */
import { invalidOption } from '../errors.js';

/**
 * The unique share of the topics' top-k words: 1 when no two topics share a
 * top word, 1/K when all K topics have the same top words.
 *
 * Like counting how many different words a set of topic labels uses: a model
 * whose topics repeat each other scores low however coherent each one is.
 *
 * ## Example
 * ```ts
 * import { topicDiversity } from 'corpusflow';
 * topicDiversity([['tax', 'vote'], ['goal', 'vote']], 2); // 0.75: 3 unique of 4
 * ```
 *
 * @param topics each topic's words, most probable first (at least `topk` each).
 * @param topk how many top words per topic to count. Default 25 (the usual report is top-10 and top-25).
 * @return unique words / (topk × number of topics), in (0, 1].
 */
export function topicDiversity(topics: readonly (readonly string[])[], topk = 25): number {
  if (!Number.isInteger(topk) || topk < 1) throw invalidOption('topk', 'a positive integer', topk);
  if (!Array.isArray(topics) || topics.length === 0) throw invalidOption('topics', 'a non-empty array of topics (arrays of words)', topics);
  const unique = new Set<string>();
  topics.forEach((topic, i) => {
    // a short topic would inflate the score, so refuse it rather than count fewer words
    if (!Array.isArray(topic) || topic.length < topk) {
      throw invalidOption(`topics[${i}]`, `at least topk=${topk} words`, Array.isArray(topic) ? `${topic.length} words` : topic);
    }
    for (let j = 0; j < topk; j++) unique.add(topic[j]!);
  });
  return unique.size / (topk * topics.length);
}
