/** Parsing a whole JSON document (config, consent script, device database) into a stable error. */
import type { ErrorCode, ErrorDetails } from '../errors/index.ts';
import { JsonSyntaxError, parseJsonWithPositions, type Positioned } from './json.ts';
import { ValidationError } from './report.ts';

/**
 * Parses JSON text with positions; a syntax mistake becomes a ValidationError with `code`,
 * its line and column and `extra` details, so every file reader reports it the same way.
 */
export function parseJsonDocument(
  text: string,
  code: ErrorCode,
  extra: ErrorDetails,
  root: string,
): Positioned {
  try {
    return parseJsonWithPositions(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const problem = {
      path: '',
      vi: `không phải JSON hợp lệ: ${error.vi}`,
      en: `is not valid JSON: ${error.en}`,
      line: error.line,
      column: error.column,
    };
    throw new ValidationError(code, [problem], extra, root);
  }
}
