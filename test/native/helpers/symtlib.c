// A shared library for the symbolizer tests.
int lib_fn(int x) { return x * 7 + 1; }
