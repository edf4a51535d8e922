/**
 * Where the visible signature goes, one rule for every door: a rectangle on a page, or next to
 * an anchor text (optionally on one page), never both. Pages count from 1 for people.
 */
import { KysoError } from '../errors/index.ts';
import type { AppearanceOptions } from '../pdf/index.ts';

export type Rect = [number, number, number, number];

export interface PlacementSpec {
  /** 1-based page number. */
  page?: number;
  rect?: Rect;
  anchor?: string;
}

/** The appearance placement, or undefined for the preset's default place. */
export function placementFrom(
  spec: PlacementSpec,
  field: string,
): AppearanceOptions['placement'] | undefined {
  const { page, rect, anchor } = spec;
  if (page !== undefined && (!Number.isInteger(page) || page < 1)) {
    throw new KysoError('INVALID_INPUT', { field, problem: 'a page number from 1' });
  }
  if (rect !== undefined && anchor !== undefined) {
    // Both given is ambiguous: refused rather than silently preferring one.
    throw new KysoError('INVALID_INPUT', { field, problem: 'a rect or an anchor, not both' });
  }
  const pageIndex = page === undefined ? undefined : page - 1;
  if (rect !== undefined) return { page: pageIndex ?? 0, rect };
  if (anchor !== undefined) {
    return pageIndex === undefined ? { anchor } : { anchor, page: pageIndex };
  }
  return undefined;
}
