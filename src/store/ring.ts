// A fixed-capacity ring: feeds keep their newest N lines whatever the event rate.
export class Ring<T> {
  private buf: T[];
  private start = 0;
  private len = 0;
  /** Items pushed in total (including those already overwritten). */
  total = 0;

  constructor(readonly capacity: number) {
    if (capacity <= 0) throw new Error('Ring capacity must be positive');
    this.buf = new Array<T>(capacity);
  }

  get size(): number {
    return this.len;
  }

  push(v: T): void {
    this.total++;
    if (this.len < this.capacity) {
      this.buf[(this.start + this.len) % this.capacity] = v;
      this.len++;
    } else {
      this.buf[this.start] = v;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  pushAll(vs: readonly T[]): void {
    // Only the last `capacity` items can survive: skip the rest without copying them.
    const from = Math.max(0, vs.length - this.capacity);
    this.total += from;
    for (let i = from; i < vs.length; i++) this.push(vs[i]);
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.len);
    for (let i = 0; i < this.len; i++) out[i] = this.buf[(this.start + i) % this.capacity];
    return out;
  }

  /** The newest n, oldest first. */
  last(n: number): T[] {
    const k = Math.min(n, this.len);
    const out = new Array<T>(k);
    for (let i = 0; i < k; i++) out[i] = this.buf[(this.start + this.len - k + i) % this.capacity];
    return out;
  }
}
