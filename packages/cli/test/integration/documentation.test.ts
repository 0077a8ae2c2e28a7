import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { RULES } from '@dalp/check';
import { dalp } from '../support/run-cli.ts';

// Issue 13.5: the documentation promises only what exists. The documented example run works exactly as
// written, every `dalp <command>` a page or the CLI tells people to run exists (or is called planned),
// and every relative link and every docs/ page cited in the sources resolves.

const ROOT = resolve(new URL('../../../../', import.meta.url).pathname);
const SKIP = new Set(['node_modules', '.git', '.dalp', 'dist', 'fixtures']);

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** README.md, docs/ and the READMEs of the charts and packages. */
const PAGES = [
  join(ROOT, 'README.md'),
  ...walk(join(ROOT, 'docs'), (f) => f.endsWith('.md')),
  ...['charts', 'packages', 'apps'].flatMap((top) =>
    readdirSync(join(ROOT, top))
      .map((name) => join(ROOT, top, name, 'README.md'))
      .filter(existsSync),
  ),
];

const read = (file: string) => readFileSync(file, 'utf8');
const where = (file: string) => relative(ROOT, file);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    anchors.add(
      heading!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

const work = mkdtempSync(join(tmpdir(), 'dalp-docs-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('the documentation promises only what exists (issue 13.5)', () => {
  test('the example run of docs/controls.md, exactly as documented, passes against our own chart', () => {
    const page = read(join(ROOT, 'docs', 'controls.md'));
    const section = page.slice(page.indexOf('## Example run'));
    const command = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(command, 'no sh block under "Example run"');
    // A checkout of its own: rendering the chart builds its dependencies inside the chart directory.
    cpSync(join(ROOT, 'charts'), join(work, 'charts'), {
      recursive: true,
      filter: (src) => !src.endsWith('.tgz'),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
    const run = spawnSync('sh', ['-c', command], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, `${command}\n${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /^0 errors, 0 warnings, \d+ passed/m);
  });

  test('every `dalp <command>` the pages and the CLI name exists, or is called planned', async () => {
    const help = await dalp(['--help']);
    const commands = new Set(
      [...help.stdout.slice(help.stdout.indexOf('Commands:')).matchAll(/^ {2}([a-z][\w-]*)/gm)].map(
        (m) => m[1]!,
      ),
    );
    assert.ok(commands.has('check'), help.stdout);
    const texts: Array<[string, string]> = [
      ...PAGES.map((file) => [where(file), read(file)] as [string, string]),
      ['dalp --help', help.stdout],
      ...RULES.map((rule) => [`rule ${rule.id}`, `${rule.why}\n${rule.fix}`] as [string, string]),
    ];
    const unknown: string[] = [];
    for (const [source, text] of texts) {
      for (const line of text.split('\n')) {
        for (const [, command] of line.matchAll(/(?:`|npx |^|\(|\$ )dalp ([a-z][\w-]*)/g)) {
          const planned = /\bplanned\b/.test(line);
          if (!commands.has(command!) && !planned) unknown.push(`${source}: ${line.trim()}`);
          // A command that exists is no longer planned: the line is out of date.
          if (commands.has(command!) && planned)
            unknown.push(`${source} (exists, called planned): ${line.trim()}`);
        }
      }
    }
    assert.deepEqual(unknown, []);
    // The one-line description names capabilities without the word dalp: the commands the design plans.
    const description = (/^DALP[\s\S]*?(?=\n\n)/m.exec(help.stdout)?.[0] ?? '').replace(/\s+/g, ' ');
    for (const [command, word] of [
      ['lab', /\blab\b/],
      ['drill', /\bdrills?\b/],
    ] as const) {
      if (!commands.has(command) && word.test(description)) {
        assert.match(description, /\bplanned\b/, `the description promises ${command}: ${description}`);
      }
    }
  });

  test('every relative link in README.md, docs/ and the READMEs resolves inside the repository', () => {
    const broken: string[] = [];
    for (const file of PAGES) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^[a-z][\w+.-]*:/i.test(target!)) continue; // https:, mailto:
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = path ? resolve(dirname(file), decodeURI(path)) : file;
        if (relative(ROOT, resolved).startsWith('..')) {
          broken.push(`${where(file)}: ${target} leaves the repository`);
        } else if (!existsSync(resolved)) {
          broken.push(`${where(file)}: ${target} does not exist`);
        } else if (anchor && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor)) {
          broken.push(`${where(file)}: ${target} names no heading of ${where(resolved)}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  test('every docs/ page a source file or template cites exists', () => {
    const sources = ['apps', 'packages', 'charts', 'scripts'].flatMap((top) =>
      walk(join(ROOT, top), (f) => /\.(ts|mjs|tpl|yaml|txt|json)$/.test(f)),
    );
    const missing: string[] = [];
    for (const file of sources) {
      for (const [cited] of read(file).matchAll(/\bdocs\/[\w/-]+\.md\b/g)) {
        if (!existsSync(join(ROOT, cited))) missing.push(`${where(file)}: ${cited}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
