// The Java JIT-frame test (test/probes/jit.test.ts): hotMethod, compiled by HotSpot (not inlined:
// -XX:CompileCommand=dontinline), holds the CPU for args[0] seconds; `jcmd PID Compiler.perfmap` names it.
public class Hot {
  static double hotMethod(int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += Math.sqrt(i) * (i & 7);
    return s;
  }
  public static void main(String[] a) throws Exception {
    long end = System.currentTimeMillis() + Long.parseLong(a[0]) * 1000;
    double x = 0;
    System.out.println("ready");
    while (System.currentTimeMillis() < end) x += hotMethod(1000000);
    System.out.println(x > 0 ? "done" : "zero");
  }
}
