/**
 * A tiny typed listener list (cockatiel's Event idea): subscribing returns the unsubscribe
 * function. Emitting walks a plain array — no allocation when nobody listens.
 */
export class Listeners<T> {
  private readonly fns: ((e: T) => void)[] = [];

  add(fn: (e: T) => void): () => void {
    this.fns.push(fn);
    return () => {
      const i = this.fns.indexOf(fn);
      if (i >= 0) this.fns.splice(i, 1);
    };
  }

  emit(e: T): void {
    for (const fn of this.fns) fn(e);
  }
}
