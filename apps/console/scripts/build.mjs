// Builds the web console into dist/ with esbuild: one script bundle and one stylesheet with content hashes
// in their names (served as immutable), and an index.html that names them (served revalidated). Nothing is
// loaded from a CDN; the Content-Security-Policy dapp sends (apps/dapp/src/http/plugins/console.ts) allows
// only these files. Run by `npm start` and by the image build; takes well under a second.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
mkdirSync(join(out, 'assets'), { recursive: true });

/**
 * Every file is written beside its place and renamed into it: a server serving dist/ meanwhile (a test
 * running beside another that builds) never reads a half-written file, and a file hard-linked from another
 * checkout is replaced, never written through.
 */
function put(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

const result = await build({
  entryPoints: { app: join(root, 'src/main.tsx'), styles: join(root, 'src/styles.css') },
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  write: false,
  logLevel: 'warning',
});

const outputs = result.outputFiles.map((file) => basename(file.path));
const script = outputs.find((name) => name.startsWith('app-') && name.endsWith('.js'));
const styles = outputs.find((name) => name.startsWith('styles-') && name.endsWith('.css'));
if (!script || !styles) throw new Error(`console build: unexpected outputs ${outputs.join(', ')}`);
for (const file of result.outputFiles) put(file.path, file.contents);
// index.html last, once the files it names are in place.
const html = readFileSync(join(root, 'src/index.html'), 'utf8')
  .replace('%SCRIPT%', `assets/${script}`)
  .replace('%STYLES%', `assets/${styles}`);
put(join(out, 'index.html'), html);
// Bundles of earlier sources are removed, so none stays servable. (Builds of the same sources running at
// once make the same names, so neither removes what the other wrote.)
for (const name of readdirSync(join(out, 'assets'))) {
  if (!outputs.includes(name) && !name.endsWith('.tmp')) rmSync(join(out, 'assets', name), { force: true });
}
console.log(`console built into ${out}`);
