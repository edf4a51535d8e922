/**
 * Browser notes: Chromium browsers (Chrome from 147, Edge, Cốc Cốc) ask before a public site
 * may connect to 127.0.0.1. Administrators pre-allow the document system's origins with the
 * LocalNetworkAccessAllowedForUrls policy (and its successor LoopbackNetworkAllowedForUrls,
 * Chrome/Edge 146+). These helpers produce the exact snippets for the configured origins and
 * look for Linux policy files that already contain them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const POLICY_NAMES = [
  'LocalNetworkAccessAllowedForUrls',
  'LoopbackNetworkAllowedForUrls',
] as const;

export interface BrowserPolicyTarget {
  browser: string;
  /** Windows registry key under HKLM holding the browser's policies. */
  registryKey: string;
  /** Linux managed-policy directory. */
  linuxPolicyDir: string;
  /** True when the path is documented by the vendor; false when it follows the Chromium convention only. */
  verified: boolean;
}

export const BROWSERS: readonly BrowserPolicyTarget[] = [
  {
    browser: 'Google Chrome',
    registryKey: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome',
    linuxPolicyDir: '/etc/opt/chrome/policies/managed',
    verified: true,
  },
  {
    browser: 'Microsoft Edge',
    registryKey: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge',
    linuxPolicyDir: '/etc/opt/edge/policies/managed',
    verified: true,
  },
  {
    browser: 'Chromium',
    registryKey: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Chromium',
    linuxPolicyDir: '/etc/chromium/policies/managed',
    verified: true,
  },
  {
    browser: 'Cốc Cốc',
    registryKey: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\CocCoc\\Browser',
    linuxPolicyDir: '/etc/opt/coccoc/policies/managed',
    verified: false,
  },
];

/** A .reg file setting both policies for the origins, for one browser. */
export function registrySnippet(target: BrowserPolicyTarget, origins: readonly string[]): string {
  const lines = ['Windows Registry Editor Version 5.00', ''];
  for (const policy of POLICY_NAMES) {
    lines.push(`[${target.registryKey}\\${policy}]`);
    origins.forEach((origin, i) => lines.push(`"${i + 1}"="${origin}"`));
    lines.push('');
  }
  return lines.join('\r\n');
}

/** Linux managed policy JSON (e.g. /etc/opt/chrome/policies/managed/kyso.json). */
export function linuxPolicySnippet(origins: readonly string[]): string {
  return JSON.stringify(
    Object.fromEntries(POLICY_NAMES.map((name) => [name, [...origins]])),
    null,
    2,
  );
}

/** Origins among `origins` that a Linux managed policy directory already allows. */
export function originsAllowedByLinuxPolicy(
  dir: string,
  origins: readonly string[],
): string[] | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return undefined;
  }
  const allowed = new Set<string>();
  for (const file of files) {
    try {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
      for (const name of POLICY_NAMES) {
        const list = json[name];
        if (Array.isArray(list))
          for (const v of list) if (typeof v === 'string') allowed.add(v.replace(/\/$/, ''));
      }
    } catch {
      // a broken policy file is the browser's problem; the browser ignores it too
    }
  }
  return origins.filter((o) => allowed.has(o) || allowed.has('*'));
}
