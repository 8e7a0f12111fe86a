// V8's cost of growing a string-keyed table (bench/dictionary/README.md, session 4): 64,000 distinct
// interned keys added to one prototype-less object (or, with --map, a Map); prints each pause over 1 ms
// (the table doubling and moving every key). Usage: node bench/dictionary/probes/growth.mjs [--map]
const N = 64000;
const useMap = process.argv.includes('--map');
const keys = [];
for (let i = 0; i < N; i++) keys.push(Object.keys({ [Math.random().toString(36).slice(2, 9) + i]: 1 })[0]);
for (let rep = 0; rep < 3; rep++) {
  const o = useMap ? new Map() : Object.create(null);
  let last = performance.now();
  for (let i = 0; i < N; i++) {
    if (useMap) o.set(keys[i], i);
    else o[keys[i]] = i;
    if ((i & 255) === 0) {
      const now = performance.now();
      if (now - last > 1) console.log(`round ${rep}, at ${i} keys: ${(now - last).toFixed(1)} ms`);
      last = now;
    }
  }
}
