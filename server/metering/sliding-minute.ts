/**
 * Calls in the last 60 seconds, counted in one-second slots. The window slides every second, so
 * there is no double burst at a minute boundary (a fixed window would allow 2× the cap across one).
 */
export class SlidingMinute {
  private readonly slots = new Float64Array(60);
  /** The second (unix s) each slot currently holds. */
  private readonly slotSecond = new Float64Array(60).fill(-1);
  private lastSecond = -1;
  private sum = 0;

  /** Calls counted in the 60 seconds up to and including `nowMs`'s second. */
  count(nowMs: number): number {
    this.advance(Math.floor(nowMs / 1000));
    return this.sum;
  }

  add(nowMs: number, n: number): void {
    const second = Math.floor(nowMs / 1000);
    this.advance(second);
    const i = second % 60;
    this.slots[i]! += n;
    this.slotSecond[i] = second;
    this.sum += n;
  }

  /** Adds calls that happened at `atMs` (e.g. a restored minute or a late event) if still in the window. */
  addAt(atMs: number, nowMs: number, n: number): void {
    const nowSecond = Math.floor(nowMs / 1000);
    const second = Math.floor(atMs / 1000);
    this.advance(nowSecond);
    if (second > nowSecond || second <= nowSecond - 60) return;
    const i = second % 60;
    if (this.slotSecond[i] !== second) {
      this.sum -= this.slots[i]!;
      this.slots[i] = 0;
      this.slotSecond[i] = second;
    }
    this.slots[i]! += n;
    this.sum += n;
  }

  /** Ms until at least `needed` calls have left the window (0 if `needed` ≤ 0). */
  msUntilFreed(nowMs: number, needed: number): number {
    if (needed <= 0) return 0;
    const nowSecond = Math.floor(nowMs / 1000);
    this.advance(nowSecond);
    let freed = 0;
    for (let s = nowSecond - 59; s <= nowSecond; s++) {
      const i = ((s % 60) + 60) % 60;
      if (this.slotSecond[i] === s) freed += this.slots[i]!;
      if (freed >= needed) return (s + 60) * 1000 - nowMs;
    }
    return 60_000;
  }

  private advance(second: number): void {
    if (second <= this.lastSecond) return;
    // Clear the slots of seconds that fell out of the window (at most 60 of them).
    const from = Math.max(this.lastSecond + 1, second - 59);
    for (let s = from; s <= second; s++) {
      const i = s % 60;
      if (this.slotSecond[i] !== -1 && this.slotSecond[i]! <= second - 60) {
        this.sum -= this.slots[i]!;
        this.slots[i] = 0;
        this.slotSecond[i] = -1;
      }
    }
    // A slot whose second is older than the window but was not visited (long idle gap).
    if (second - this.lastSecond >= 60) {
      this.slots.fill(0);
      this.slotSecond.fill(-1);
      this.sum = 0;
    }
    this.lastSecond = second;
  }
}
