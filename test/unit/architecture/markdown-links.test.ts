import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The documentation holds to the repository (docs/testing.md#the-architecture-test): every relative
 * link and image of a Markdown file names a file that exists and, with an `#anchor` into a Markdown
 * file, a heading of it; and every `docs/<page>.md` (with its `#anchor` or quoted heading) a source
 * file cites exists. Anchors are GitHub's heading slugs.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** This file, whose examples of broken citations are the control's, not the repository's. */
const SELF = path
  .relative(ROOT, fileURLToPath(import.meta.url))
  .split(path.sep)
  .join('/');

/** What a check may look at: which paths exist, and the text of a Markdown file. */
interface Repository {
  /** A file or folder at this repository-relative POSIX path. */
  exists(file: string): boolean;
  read(file: string): string;
}

/** The repository's files: tracked ones and new ones not ignored (so a page is checked before its first commit). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...new Set(listed.split('\0'))].filter((file) => file !== '' && existsSync(path.join(ROOT, file)));
}

const onDisk: Repository = {
  exists: (file) => existsSync(path.join(ROOT, file)),
  read: (file) => readFileSync(path.join(ROOT, file), 'utf8'),
};

function inMemory(files: Readonly<Record<string, string>>): Repository {
  const folders = new Set(
    Object.keys(files).flatMap((file) =>
      file
        .split('/')
        .slice(0, -1)
        .map((_, index, parts) => parts.slice(0, index + 1).join('/')),
    ),
  );
  return {
    exists: (file) => file in files || folders.has(file),
    read: (file) => {
      const text = files[file];
      if (text === undefined) throw new Error(`no file ${file}`);
      return text;
    },
  };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (but `-` and `_`), spaces as `-`. */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * The text with fenced code blocks and inline code spans blanked out (line breaks kept, so
 * offsets still give line numbers): what they contain is code, not links or headings.
 */
function prose(markdown: string): string {
  let fence: string | undefined;
  const lines = markdown.split('\n').map((line) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (opening !== undefined) {
        fence = opening;
        return '';
      }
      return line.replace(/(`+)[^`].*?\1(?!`)|(`+)\2/g, (span) => ' '.repeat(span.length));
    }
    if (opening !== undefined && opening[0] === fence[0] && opening.length >= fence.length) fence = undefined;
    return '';
  });
  return lines.join('\n');
}

/** The anchors a Markdown file offers: its headings' slugs (repeats numbered as GitHub does) and explicit ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const repeats = seen.get(slug) ?? 0;
      seen.set(slug, repeats + 1);
      anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
    }
    for (const match of line.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

interface Link {
  readonly line: number;
  readonly target: string;
}

/** Inline links and images `[text](target "title")`, and reference definitions `[label]: target`. */
function linksOf(markdown: string): Link[] {
  const text = prose(markdown);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const inline = [
    ...text.matchAll(/!?\[[^\]]*\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+"[^"]*")?\s*\)/g),
  ];
  const definitions = [...text.matchAll(/^ {0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm)];
  return [...inline, ...definitions]
    .map((match) => ({ line: lineAt(match.index), target: match[1]!.replace(/^<(.*)>$/, '$1') }))
    .sort((a, b) => a.line - b.line);
}

/** Why `target`, written in `from` (or cited by it, from the repository's root), does not resolve; undefined when it does. */
function problemWith(repo: Repository, from: string, target: string, base: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : target.slice(hash + 1);
  let file = from;
  if (pathPart !== '') {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathPart);
    } catch {
      return `${target}: not a valid URL path`;
    }
    // A leading `/` is the repository's root, as on GitHub.
    const resolved = path.posix
      .normalize(decoded.startsWith('/') ? decoded.slice(1) : path.posix.join(base, decoded))
      .replace(/\/$/, '');
    if (resolved === '..' || resolved.startsWith('../')) return `${target}: outside the repository`;
    if (resolved !== '.' && !repo.exists(resolved)) return `${target}: no file ${resolved}`;
    file = resolved;
  }
  if (anchor === undefined || anchor === '' || !file.endsWith('.md')) return undefined;
  if (!anchorsOf(repo.read(file)).has(anchor)) return `${target}: no heading #${anchor} in ${file}`;
  return undefined;
}

/** Every link and image of the Markdown file `file` that does not resolve, as `file:line: problem`. */
function brokenLinks(repo: Repository, file: string): string[] {
  return linksOf(repo.read(file)).flatMap(({ line, target }) => {
    const problem = problemWith(repo, file, target, path.posix.dirname(file));
    return problem === undefined ? [] : [`${file}:${line}: ${problem}`];
  });
}

/** A source file's citations of documentation pages: `docs/x.md`, `docs/x.md#anchor`, `docs/x.md "Heading"`. */
function citationsOf(source: string): { readonly line: number; readonly target: string }[] {
  const lines = source.split('\n');
  return lines.flatMap((text, index) =>
    [...text.matchAll(/(?<![\w./-])(docs\/[\w-]+(?:\/[\w-]+)*\.md)(?:#([\w-]+)|\s+"([^"]+)")?/g)].map(
      (match) => ({
        line: index + 1,
        target:
          match[2] !== undefined
            ? `${match[1]}#${match[2]}`
            : match[3] !== undefined
              ? `${match[1]}#${githubSlug(match[3])}`
              : match[1]!,
      }),
    ),
  );
}

/** Every citation of a documentation page in the source file `file` that does not resolve. */
function brokenCitations(repo: Repository, file: string): string[] {
  return citationsOf(repo.read(file)).flatMap(({ line, target }) => {
    const problem = problemWith(repo, file, target, '');
    return problem === undefined ? [] : [`${file}:${line}: ${problem}`];
  });
}

describe('GitHub heading slugs', () => {
  it('lower-case the heading, drop punctuation but hyphens and underscores, and join words with hyphens', () => {
    expect(githubSlug('One Node')).toBe('one-node');
    expect(githubSlug('HTTP API (`/api/export`)')).toBe('http-api-apiexport');
    expect(githubSlug('Exports of any size: chunks, parallel workers, resumption')).toBe(
      'exports-of-any-size-chunks-parallel-workers-resumption',
    );
    expect(githubSlug('Walkthrough (local runtime)')).toBe('walkthrough-local-runtime');
    expect(githubSlug('cdk-nag acknowledgements')).toBe('cdk-nag-acknowledgements');
    expect(githubSlug('`export_jobs` and [links](x.md)')).toBe('export_jobs-and-links');
  });

  it('number repeated headings as GitHub does, and ignore headings inside code blocks', () => {
    const anchors = anchorsOf(
      '# Title\n## Notes\n## Notes\n```sh\n# not a heading\n```\n<a id="custom"></a>\n',
    );

    expect([...anchors].sort()).toEqual(['custom', 'notes', 'notes-1', 'title']);
  });
});

describe('the link check (control)', () => {
  const repo = inMemory({
    'README.md': [
      '# Read me',
      '[fine](docs/a.md) [fine too](docs/a.md#known-section) ![picture](docs/screenshots/x.png)',
      '[gone](docs/missing.md) and [no such section](docs/a.md#unknown-section)',
      '[here](#read-me) [nowhere here](#nowhere) [web](https://example.com/x.md) [mail](mailto:a@b.c)',
      '`[in code](skipped.md)`',
      '```md',
      '[in a block](skipped.md)',
      '```',
      '[up and out](../elsewhere.md)',
    ].join('\n'),
    'docs/a.md': '# A\n\n## Known section\n\n[back](../README.md#read-me) [broken back](../README.md#gone)\n',
    'docs/screenshots/x.png': '',
    'functions/x.ts': [
      '/** Fine: docs/a.md, docs/a.md#known-section and docs/a.md "Known section". */',
      '/** Broken: docs/b.md, docs/a.md#lost, docs/a.md "Lost". */',
    ].join('\n'),
  });

  it('reports links to missing files, missing headings and missing same-page anchors, with their lines', () => {
    expect(brokenLinks(repo, 'README.md')).toEqual([
      'README.md:3: docs/missing.md: no file docs/missing.md',
      'README.md:3: docs/a.md#unknown-section: no heading #unknown-section in docs/a.md',
      'README.md:4: #nowhere: no heading #nowhere in README.md',
      'README.md:9: ../elsewhere.md: outside the repository',
    ]);
    expect(brokenLinks(repo, 'docs/a.md')).toEqual([
      'docs/a.md:5: ../README.md#gone: no heading #gone in README.md',
    ]);
  });

  it('reports cited documentation pages and sections that do not exist', () => {
    expect(brokenCitations(repo, 'functions/x.ts')).toEqual([
      'functions/x.ts:2: docs/b.md: no file docs/b.md',
      'functions/x.ts:2: docs/a.md#lost: no heading #lost in docs/a.md',
      'functions/x.ts:2: docs/a.md#lost: no heading #lost in docs/a.md',
    ]);
  });
});

describe('the documentation of this repository', () => {
  const files = repositoryFiles();
  const markdown = files.filter((file) => file.endsWith('.md'));
  const sources = files.filter((file) => /\.(ts|tsx|mts|sql)$/.test(file) && file !== SELF);

  it('resolves every relative link and image of every Markdown file, anchors included', () => {
    expect(markdown.length).toBeGreaterThan(10);
    expect(markdown.flatMap((file) => brokenLinks(onDisk, file))).toEqual([]);
  });

  it('has every docs/ page and section the source files cite', () => {
    const cited = sources.flatMap((file) => citationsOf(onDisk.read(file)));

    expect(cited.length).toBeGreaterThan(20);
    expect(sources.flatMap((file) => brokenCitations(onDisk, file))).toEqual([]);
  });

  it('cites no document kept outside the repository, in the docs or in the code', () => {
    const outside = /\b(?:DESIGN|STYLE)\.md\b|\bDESIGN\s?§/;

    expect(outside.test(['DESIGN', '§10'].join(' '))).toBe(true);
    expect([...markdown, ...sources].filter((file) => outside.test(onDisk.read(file)))).toEqual([]);
  });
});
