// `npm run build`, second step: dist/main.js as one esbuild bundle of src/main.ts and its
// dependencies, and dist/jwks-thread.js as one of src/jwks/thread.ts, the JWKS listener's thread
// (which loads only what serving needs: each thread holds its own copy of what it loads). One file
// loads faster and holds less memory than the ~100 modules tsc emits plus node_modules (measured:
// 126 → 78 MiB RSS with no AuthServer, test/bench/scale.ts). The kubectl plugin (bin/kubectl-signet)
// keeps tsc's modules in dist/cli/. api.proto is read at run time from beside the module that loads
// it, which in the bundle is dist/main.js.
// Whitespace and comments are minified away, identifiers are not (a stack trace still names the
// functions; dist/main.js.map maps it back): V8 keeps a script's whole source in the heap for as long
// as the process lives, 14 MiB for the 7 MB this bundle was with its comments, some of which held
// characters outside Latin-1, so that V8 stored all of it as UTF-16. The build fails if one comes back.
import { build } from 'esbuild';
import { copyFileSync, readFileSync } from 'node:fs';

const OUTFILES = { 'src/main.ts': 'dist/main.js', 'src/jwks/thread.ts': 'dist/jwks-thread.js' };

for (const [entry, outfile] of Object.entries(OUTFILES)) {
  await bundle(entry, outfile);
  checkLatin1(outfile);
}
copyFileSync('src/sa-signer/api.proto', 'dist/api.proto');

async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
    minifyWhitespace: true,
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __signetCreateRequire } from 'node:module'; const require = __signetCreateRequire(import.meta.url);" },
  });
}

function checkLatin1(outfile) {
  const source = readFileSync(outfile, 'utf8');
  // esbuild escapes what is outside ASCII in strings, but not in regular expression literals.
  const wide = /[\u0100-\uffff]/.exec(source);
  if (!wide) return;
  console.error(`${outfile} holds ${JSON.stringify(wide[0])} (U+${wide[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}) near ${JSON.stringify(source.slice(Math.max(0, wide.index - 60), wide.index + 20))}: write it as a \\u escape in the source, or V8 holds the whole bundle's source as UTF-16 (twice the memory)`);
  process.exit(1);
}
