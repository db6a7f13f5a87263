'use strict';
// Builds flask_jsscripts/runtime/js/core-js.js: the core-js modules the Duktape 2.7 sandbox
// needs, bundled by core-js-builder and minified by terser (both pinned in package.json).
// Rebuild: `npm ci && node build.js` in this folder; the output is the same byte for byte.
// `node build.js --check` only compares the committed file with a fresh build.
// Why each module is in or out: flask_jsscripts/runtime/js/VENDORED.md.
const fs = require('fs');
const path = require('path');
const builder = require('core-js-builder');
const { minify } = require('terser');

const OUTPUT = path.join(__dirname, '..', '..', 'flask_jsscripts', 'runtime', 'js', 'core-js.js');

// ES2015-ES2023 built-ins that Duktape 2.7 lacks or gets wrong, plus structuredClone.
// Left out on purpose: modules whose feature test replaces a working Duktape native with a
// JavaScript wrapper several times slower (see NOT_WANTED), post-ES2023 proposals, typed arrays,
// Intl, timers and DOM.
const MODULES = [
  // Symbol: Duktape's native Symbol stays (es.symbol would also bring es.json.stringify);
  // core-js adds description and the well-known symbols Duktape lacks
  'es.symbol.description', 'es.symbol.async-iterator', 'es.symbol.match', 'es.symbol.match-all',
  'es.symbol.replace', 'es.symbol.search', 'es.symbol.species', 'es.symbol.split',
  'es.symbol.unscopables',
  // Errors (`cause` of the native ones: polyfills.js)
  'es.aggregate-error', 'es.aggregate-error.cause',
  // Array (es.array.sort: Duktape's sort is not stable)
  'es.array.at', 'es.array.copy-within', 'es.array.fill', 'es.array.find', 'es.array.find-index',
  'es.array.find-last', 'es.array.find-last-index', 'es.array.flat', 'es.array.flat-map',
  'es.array.from', 'es.array.includes', 'es.array.iterator', 'es.array.of', 'es.array.sort',
  'es.array.species', 'es.array.to-reversed', 'es.array.to-sorted', 'es.array.to-spliced',
  'es.array.unscopables.flat', 'es.array.unscopables.flat-map', 'es.array.with',
  // globalThis, JSON, Math
  'es.global-this', 'es.json.to-string-tag', 'es.math.acosh', 'es.math.asinh', 'es.math.atanh',
  'es.math.cosh', 'es.math.expm1', 'es.math.fround', 'es.math.log1p', 'es.math.sinh',
  'es.math.tanh',
  // Collections
  'es.map', 'es.map.group-by', 'es.set', 'es.weak-map', 'es.weak-set',
  // Object (es.object.get-own-property-names: primitives)
  'es.object.entries', 'es.object.from-entries', 'es.object.get-own-property-descriptors',
  'es.object.get-own-property-names', 'es.object.group-by', 'es.object.has-own',
  'es.object.values',
  // Promise (its jobs go to the sandbox's queueMicrotask, see polyfills.js)
  'es.promise', 'es.promise.all-settled', 'es.promise.any', 'es.promise.finally',
  // Reflect (Duktape's construct refuses a newTarget, which Babel's classes pass)
  'es.reflect.apply', 'es.reflect.construct', 'es.reflect.set', 'es.reflect.to-string-tag',
  // RegExp and String
  'es.regexp.dot-all', 'es.regexp.flags', 'es.regexp.sticky', 'es.string.at-alternative',
  'es.string.iterator', 'es.string.match-all', 'es.string.pad-end', 'es.string.pad-start',
  'es.string.raw', 'es.string.replace-all', 'es.string.trim-end', 'es.string.trim-start',
  // Web: structuredClone, and the DOMException it throws (DataCloneError)
  'web.dom-exception.constructor', 'web.dom-exception.stack', 'web.dom-exception.to-string-tag',
  'web.structured-clone',
];

// Not listed either: the ES2015 modules whose native Duktape has and gets right (with them in the
// bundle, loading it in Duktape added or replaced nothing more): es.math.trunc, es.object.keys,
// es.reflect.get, es.number.*, es.date.*, ... They only cost bytes, compiled in every context.

// Modules whose feature test fails on Duktape for a corner case and that then replace a fast
// native with a JavaScript wrapper (benchmarks/RESULTS.md has the measured costs).
const NOT_WANTED = [
  'es.array.concat', 'es.array.filter', 'es.array.map', 'es.array.slice', 'es.array.splice',
  'es.array.push', 'es.json.stringify', 'es.number.constructor', 'es.object.assign',
  'es.regexp.constructor', 'es.regexp.exec', 'es.regexp.test', 'es.string.ends-with',
  'es.string.includes', 'es.string.match', 'es.string.replace', 'es.string.search',
  'es.string.split', 'es.string.starts-with', 'es.string.trim',
  // its constructors read each new error's whole `stack`: 30x slower, twice the memory
  'es.error.cause',
];

async function main() {
  const overlap = MODULES.filter((name) => NOT_WANTED.includes(name));
  if (overlap.length) throw new Error(`listed as wanted and not wanted: ${overlap}`);
  // a plain name also selects every module it prefixes (es.promise.try...): match names exactly
  const exact = (name) => new RegExp(`^${name.replace(/\./g, '\\.')}$`);
  const bundle = await builder({ modules: MODULES.map(exact), exclude: NOT_WANTED.map(exact), targets: null });
  const header = bundle.slice(0, bundle.indexOf('*/') + 2);
  const minified = await minify(bundle, {
    ecma: 5,
    compress: { passes: 1 },
    mangle: true,
    format: { ascii_only: true, comments: false },
  });
  const text = `${header}\n${minified.code}\n`;
  if (process.argv.includes('--check')) {
    const same = fs.existsSync(OUTPUT) && fs.readFileSync(OUTPUT, 'utf8') === text;
    console.log(same ? `${OUTPUT} is up to date` : `${OUTPUT} differs from a fresh build`);
    process.exit(same ? 0 : 1);
  }
  fs.writeFileSync(OUTPUT, text);
  console.log(`${OUTPUT}: ${MODULES.length} modules, ${fs.statSync(OUTPUT).size} bytes`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
