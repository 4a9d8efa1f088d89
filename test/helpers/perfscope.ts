// The real perfscope binary run headless (--json) by a test: its lines one at a time as they
// come, and what it wrote to stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));

export class JsonRun<L = Record<string, unknown>> {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly lines: AsyncIterator<string>;
  private errText = '';

  /** `perfscope --json ARGS` (started at once); `node` runs it (default: this Node.js). */
  constructor(args: readonly string[], node = process.execPath) {
    this.child = spawn(node, [BIN, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.errText += d.toString()));
    this.exited = new Promise((r) => this.child.on('exit', (c) => r(c)));
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  /** The next interval's line, parsed; throws when perfscope ended first. */
  async next(): Promise<L> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`perfscope ended: ${this.errText}`);
    return JSON.parse(r.value as string) as L;
  }

  get err(): string {
    return this.errText;
  }

  get pid(): number {
    return this.child.pid!;
  }
}
