/** Paths name a value the way a developer writes it: `trust.anchors[0]`, `pins["a b"]`. */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path of a member (string key) or an element (number index) below `parent`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  // Keys like origins ("https://a.gov.vn") are quoted so the path stays unambiguous.
  if (!IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}
