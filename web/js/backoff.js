// backoff.js — waits between reconnections: doubling from 0.5 s to 15 s,
// with jitter, reset once a connection works.

export class Backoff {
  constructor(min = 500, max = 15000) {
    this.min = min;
    this.max = max;
    this.next = min;
  }
  reset() { this.next = this.min; }
  wait(signal) {
    const ms = this.next * (0.75 + Math.random() / 2);
    this.next = Math.min(this.next * 2, this.max);
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); });
    });
  }
}
