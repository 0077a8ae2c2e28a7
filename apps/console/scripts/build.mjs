// Builds the web console into dist/ with esbuild: one script bundle and one stylesheet with content hashes
// in their names (served as immutable), and an index.html that names them (served revalidated). Nothing is
// loaded from a CDN; the Content-Security-Policy dapp sends (apps/dapp/src/http/plugins/console.ts) allows
// only these files. Run by `npm start` and by the image build; takes well under a second.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
// A fresh directory: no stale bundle stays servable, and files hard-linked from another checkout are
// replaced, never written through.
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

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
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => name.startsWith('app-') && name.endsWith('.js'));
const styles = outputs.find((name) => name.startsWith('styles-') && name.endsWith('.css'));
if (!script || !styles) throw new Error(`console build: unexpected outputs ${outputs.join(', ')}`);
const html = readFileSync(join(root, 'src/index.html'), 'utf8')
  .replace('%SCRIPT%', `assets/${script}`)
  .replace('%STYLES%', `assets/${styles}`);
writeFileSync(join(out, 'index.html'), html);
console.log(`console built into ${out}`);
