// The Node.js JIT-frame test (test/probes/jit.test.ts): hotLoopFn, optimized on stack (OSR), holds
// the CPU for argv[2] seconds; run with --perf-basic-prof, its code is named in /tmp/perf-PID.map.
function hotLoopFn(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.sqrt(i) * (i & 7);
  return s;
}
const end = Date.now() + Number(process.argv[2]) * 1000;
let x = 0;
while (Date.now() < end) x += hotLoopFn(2e7);
console.log(x > 0 ? 'done' : 'zero');
