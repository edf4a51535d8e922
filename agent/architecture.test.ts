/**
 * The folder rules of ARCHITECTURE.md, checked on the sources: (a) no import circles between the
 * folders of agent/, (b) an import from another folder goes through that folder's index.ts,
 * (c) no import circles between the files of one folder. Type-only imports count: a circle of
 * types is still two folders that cannot change apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const agentDir = dirname(fileURLToPath(import.meta.url));

/**
 * Known violations (none today). Remove an entry when it is fixed: a stale entry fails the
 * test, so the list only shrinks.
 */
const allowedDeepImports: readonly string[] = [];

/** Folder edges allowed to close a circle (from -> to), to fix after the wave-2 merge. */
const allowedCircleEdges: readonly string[] = [];

/** File edges inside one folder allowed to close a circle, to fix after the wave-2 merge. */
const allowedFileCircleEdges: readonly string[] = [];

interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
    });
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function specifiers(text: string): string[] {
  const pattern =
    /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? '');
}

function agentImports(): Import[] {
  return sourceFiles(agentDir).flatMap((file) =>
    specifiers(readFileSync(file, 'utf8'))
      .map((spec) => ({
        from: relative(agentDir, file),
        to: relative(agentDir, resolve(dirname(file), spec)),
      }))
      .filter((edge) => !edge.to.startsWith('..')),
  );
}

const folderOf = (path: string): string => path.split('/')[0] ?? path;

/** Every circle found by depth-first search, as "a -> b -> a". */
function circles(edges: readonly Import[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (!next.has(edge.from)) next.set(edge.from, new Set());
    next.get(edge.from)?.add(edge.to);
  }
  const found = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const loop = path.slice(at);
      // One spelling per circle: start at its smallest node.
      const start = loop.indexOf([...loop].sort()[0] ?? node);
      const rotated = [...loop.slice(start), ...loop.slice(0, start)];
      found.add([...rotated, rotated[0]].join(' -> '));
      return;
    }
    if (done.has(node)) return;
    for (const to of next.get(node) ?? []) visit(to, [...path, node]);
    done.add(node);
  };
  for (const node of next.keys()) visit(node, []);
  return [...found].sort();
}

const imports = agentImports();

/** Circles left once the allowed edges are taken out; each allowed edge must still close one. */
function checkCircles(edges: readonly Import[], allowed: readonly string[]): void {
  const key = (edge: Import): string => `${edge.from} -> ${edge.to}`;
  const checked = edges.filter((edge) => !allowed.includes(key(edge)));
  expect(circles(checked)).toEqual([]);
  for (const entry of allowed) {
    const edge = edges.find((candidate) => key(candidate) === entry);
    expect(edge, `${entry} is gone: remove it from the allow-list`).toBeDefined();
    if (edge)
      expect(circles([...checked, edge]), `${entry} no longer closes a circle`).not.toEqual([]);
  }
}

describe('agent/ folder rules', () => {
  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(imports).toContainEqual({ from: 'pdf/index.ts', to: 'pdf/sign.ts' });
  });

  it('imports another folder only through its index.ts', () => {
    const deep = imports
      .filter((edge) => folderOf(edge.from) !== folderOf(edge.to))
      .filter((edge) => !/^[^/]+\/index\.ts$/.test(edge.to))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    const unique = [...new Set(deep)].sort();
    expect(unique.filter((edge) => !allowedDeepImports.includes(edge))).toEqual([]);
    // Fixed entries leave the list, so it never hides a new violation.
    expect(allowedDeepImports.filter((edge) => !unique.includes(edge))).toEqual([]);
  });

  it('has no import circles between folders', () => {
    const folderEdges = new Map<string, Import>();
    for (const edge of imports) {
      const from = folderOf(edge.from);
      const to = folderOf(edge.to);
      if (from !== to) folderEdges.set(`${from} -> ${to}`, { from, to });
    }
    checkCircles([...folderEdges.values()], allowedCircleEdges);
  });

  it('has no import circles between the files of a folder', () => {
    const inside = imports.filter((edge) => folderOf(edge.from) === folderOf(edge.to));
    checkCircles(inside, allowedFileCircleEdges);
  });
});
