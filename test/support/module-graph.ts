import path from 'node:path';

/** What a module imports: packages by name, and project modules by absolute `.ts` path. */
export interface ModuleImports {
  readonly packages: readonly string[];
  readonly modules: readonly string[];
}

export type ModuleGraph = ReadonlyMap<string, ModuleImports>;

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?\s*['"]([^'"]+)['"]/g;

/** The static imports and re-exports of `source` (type-only ones included), resolved from `file`. */
export function importsOf(file: string, source: string): ModuleImports {
  const packages: string[] = [];
  const modules: string[] = [];
  for (const [, specifier] of source.matchAll(SPECIFIER)) {
    if (!specifier!.startsWith('.')) packages.push(specifier!);
    else modules.push(path.resolve(path.dirname(file), specifier!.replace(/\.js$/, '.ts')));
  }
  return { packages, modules };
}

/**
 * Every import cycle of the graph, each once, as the modules on it starting from the one that
 * sorts first (Tarjan's strongly connected components: a component of several modules, or one
 * importing itself, is a cycle).
 */
export function findCycles(graph: ModuleGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node)?.modules ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.modules.includes(node)) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
