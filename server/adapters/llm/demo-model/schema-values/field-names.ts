/**
 * What a field's name says about its value: long texts, short texts, headlines, names of someone
 * or something, explanations, lists of statements, scores, lists of problems (see the module
 * comment of `../schema-values.ts`). A data table of patterns, matched against the field's name.
 */

export const LONG_TEXT =
  /(summary|body|text|content|message|description|note|comment|answer|reply|details|draft)$/i;
export const SHORT_TEXT =
  /(subject|title|name|label|heading|headline|tag|category|status|city|country|company|customer|currency|code|id)$/i;
/** Headlines: the text's first sentence, up to eight words. */
export const TITLE = /(subject|title|heading|headline)$/i;
/** Fields that name someone or something: a capitalised phrase of the text fits best. */
export const PROPER_NAME =
  /(name|company|customer|organi[sz]ation|account|vendor|supplier|person|contact|client)$/i;
/** Fields that explain a choice: the demo model says honestly how it chose. */
export const EXPLANATION = /(rationale|reason|reasoning|explanation|justification)$/i;
/** Lists of statements (`keyPoints`, `highlights`): the text's sentences, in order. */
export const SENTENCE_LISTS =
  /(points|highlights|bullets|sentences|takeaways|findings|facts|notes)$/i;
/** Scores such as `confidence` lean to the top of their range: demo flows take their main path. */
export const SCORE = /(confidence|score|probability|certainty)$/i;
export const PROBLEM_LISTS = /^(missing|errors|warnings|issues)$/i;

/** `keyPoints` → `keyPoint`: items of a list read like the list's name in the singular. */
export function singular(name: string | undefined): string | undefined {
  return name?.replace(/s$/, "");
}
