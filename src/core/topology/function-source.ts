/**
 * The source text of a user function, normalised so that the same code gives the same version
 * whichever transpiler loaded it (tsx, vitest, a build): comments and whitespace outside string
 * literals are dropped (one space is kept between two word characters), parentheses around a
 * single arrow parameter and semicolons before `}` are removed. Other rewrites a transpiler might
 * do would change the version; the loaders featurestream uses only differ in these.
 */
export function normalizeFunctionSource(fn: { toString(): string }): string {
  const src = fn.toString();
  let out = '';
  let pendingSpace = false;
  const word = /[A-Za-z0-9_$]/;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    const next = src[i + 1] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      if (pendingSpace && word.test(out[out.length - 1] ?? '')) out += ' ';
      pendingSpace = false;
      out += src.slice(i, j + 1);
      i = j;
    } else if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      pendingSpace = true;
    } else if (c === '/' && next === '*') {
      i = src.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
      pendingSpace = true;
    } else if (/\s/.test(c)) {
      pendingSpace = true;
    } else {
      if (pendingSpace && word.test(c) && word.test(out[out.length - 1] ?? '')) out += ' ';
      pendingSpace = false;
      out += c;
    }
  }
  return out
    .replace(/(^|[^A-Za-z0-9_$])\(([A-Za-z_$][A-Za-z0-9_$]*)\)=>/g, '$1$2=>')
    .replace(/;+}/g, '}')
    .replace(/;+$/, '');
}
