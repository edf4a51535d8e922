/**
 * The registrable domain of a host, for the dialogs to show prominently: the part that says
 * who owns a website. "vanban.hanoi.gov.vn" belongs to "hanoi.gov.vn";
 * "vanban.hanoi.gov.vn.evil.com" belongs to "evil.com", whatever its left part pretends.
 *
 * Heuristic (a deliberately small public-suffix rule set, not the full Public Suffix List):
 * - a host ending in one of MULTI_LABEL_SUFFIXES (gov.vn, edu.vn, com.vn, org.vn, net.vn,
 *   ac.vn, ... and a few foreign ones such as co.uk) is registered one label below it:
 *   "so.hanoi.gov.vn" → "hanoi.gov.vn";
 * - any other host is registered one label below its top-level domain (generic TLDs .com,
 *   .org, .net, .gov, .io, ... and country codes such as .vn itself): "a.b.evil.com" →
 *   "evil.com", "dichvucong.vn" → "dichvucong.vn";
 * - IP addresses, "localhost" and single-label hosts are shown whole.
 * Internationalised names stay in their xn-- form (as the URL parser gives them), so look-alike
 * letters cannot pass for Latin ones. An unknown multi-label suffix errs towards showing *less*
 * of the name (e.g. "foo.co.xx" shows "co.xx"), never more, so a look-alike prefix is never
 * promoted to the prominent part.
 */

export const MULTI_LABEL_SUFFIXES: ReadonlySet<string> = new Set([
  // Vietnam (VNNIC second-level domains)
  'gov.vn',
  'edu.vn',
  'com.vn',
  'org.vn',
  'net.vn',
  'ac.vn',
  'int.vn',
  'biz.vn',
  'info.vn',
  'name.vn',
  'pro.vn',
  'health.vn',
  // A few common elsewhere
  'co.uk',
  'org.uk',
  'gov.uk',
  'ac.uk',
  'com.au',
  'gov.au',
  'com.cn',
  'co.jp',
  'co.kr',
  'com.sg',
  'gov.sg',
]);

export interface HostParts {
  /** Everything left of the registrable domain, with its trailing dot ("vanban."), or "". */
  prefix: string;
  /** The registrable domain ("hanoi.gov.vn"), or the whole host for IPs and single labels. */
  domain: string;
}

export function splitHost(host: string): HostParts {
  const name = host.toLowerCase().replace(/\.$/, '');
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith('[');
  const labels = name.split('.');
  if (isIp || labels.length < 2) return { prefix: '', domain: name };
  const lastTwo = labels.slice(-2).join('.');
  const keep = MULTI_LABEL_SUFFIXES.has(lastTwo) ? 3 : 2;
  if (labels.length <= keep) return { prefix: '', domain: name };
  return {
    prefix: labels.slice(0, -keep).join('.') + '.',
    domain: labels.slice(-keep).join('.'),
  };
}

export function registrableDomain(host: string): string {
  return splitHost(host).domain;
}
