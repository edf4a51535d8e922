/** Problems as text and as stable errors (config, consent script, device database). */
import {
  KysoError,
  type ErrorCode,
  type ErrorDetails,
  type LocalisedText,
} from '../errors/index.ts';
import type { Problem } from './schema.ts';

/** One line per language: `trust.anchors[0]: must be ... (line 3, column 5)`. */
export function describeProblem(problem: Problem, lang: 'vi' | 'en', root = '(root)'): string {
  const where = problem.path === '' ? root : problem.path;
  let position = '';
  if (problem.line !== undefined) {
    position =
      lang === 'vi'
        ? ` (dòng ${problem.line}, cột ${problem.column ?? 1})`
        : ` (line ${problem.line}, column ${problem.column ?? 1})`;
  }
  return `${where}: ${problem[lang]}${position}`;
}

export interface ProblemJson extends Problem {
  /** Same as path, named like the `field` of every other error. */
  field: string;
}

/**
 * A KysoError listing every problem. ErrorDetails hold only scalars, so details carry the
 * first problem (field, problem, line, column) plus all of them as text in each language;
 * the structured list is `problems` (and in toJSON, for `--json` output).
 */
export class ValidationError extends KysoError {
  readonly problems: Problem[];
  readonly root: string;

  constructor(code: ErrorCode, problems: Problem[], extra: ErrorDetails = {}, root = '(root)') {
    const first = problems[0] ?? { path: '', vi: 'không hợp lệ', en: 'is invalid' };
    const details: ErrorDetails = {
      field: first.path === '' ? root : first.path,
      problem: first.en,
      ...(first.line !== undefined ? { line: first.line, column: first.column } : {}),
      ...extra,
      problemCount: problems.length,
      problems: problems.map((p) => describeProblem(p, 'en', root)).join('\n'),
      problemsVi: problems.map((p) => describeProblem(p, 'vi', root)).join('\n'),
    };
    super(code, details);
    this.problems = problems;
    this.root = root;
  }

  /** Every problem, both languages, for a person reading the terminal. */
  describe(): string {
    return this.problems
      .map((p) => `${describeProblem(p, 'vi', this.root)}\n${describeProblem(p, 'en', this.root)}`)
      .join('\n');
  }

  override toJSON(): {
    code: ErrorCode;
    message: LocalisedText;
    details: ErrorDetails;
    problems: ProblemJson[];
  } {
    return {
      ...super.toJSON(),
      problems: this.problems.map((p) => ({ ...p, field: p.path === '' ? this.root : p.path })),
    };
  }
}
