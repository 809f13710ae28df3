// Bundles the WIC with esbuild into --outdir (default dist/): wic.js (+ map), index.html, wic.css.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = process.argv.indexOf('--outdir');
const outdir = resolve(arg > 0 ? process.argv[arg + 1] : join(here, 'dist'));

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.js')],
  outfile: join(outdir, 'wic.js'),
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // JsSIP's debug logger probes `process.env`; the browser has none.
  define: { 'process.env.NODE_ENV': '"production"', 'process.env.DEBUG': 'undefined' },
});
for (const f of ['index.html', 'wic.css']) {
  await copyFile(join(here, 'src', f), join(outdir, f));
}
console.log(`wic: bundle written to ${outdir}`);
