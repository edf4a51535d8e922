/** Reading untrusted JSON: a typed schema DSL, a positioned JSON parser, bilingual problems. */
export * from './schema.ts';
export {
  JsonSyntaxError,
  parseJsonWithPositions,
  type Position,
  type Positioned,
  type Positions,
} from './json.ts';
export { parseJsonDocument } from './document.ts';
export { childPath } from './path.ts';
export { closest, editDistance } from './suggest.ts';
export { describeProblem, ValidationError, type ProblemJson } from './report.ts';
