import type { RequestContext } from '../pipeline/request-context.ts';
import { cacheable } from '../proxy/raw-headers.ts';
import { headerGrpcStatus } from '../grpc/grpc-wire.ts';

/**
 * The copy of a good answer kept for the `cache` degradation mode, taken as it streams to the
 * client: started when a cacheable 200 commits, fed each body chunk, stored when the answer
 * completes — or given up (nothing kept) once it outgrows the route's `cache.max_entry_bytes`.
 * Only requests whose route caches (ctx.cacheStore set at admission) ever make one.
 */
export class CacheCapture {
  private chunks: Buffer[] | undefined = [];
  private bytes = 0;
  private readonly raw: Buffer[];
  private readonly ctx: RequestContext;

  private constructor(ctx: RequestContext, raw: Buffer[]) {
    this.ctx = ctx;
    this.raw = raw.slice();
  }

  /**
   * A capture for this answer, or undefined when its route does not cache or the answer may not be
   * cached (a gRPC answer with its status in the headers is a trailers-only one: an error).
   */
  static start(ctx: RequestContext, status: number, raw: Buffer[]): CacheCapture | undefined {
    return status === 200 && ctx.cacheStore && cacheable(raw) && (ctx.grpc === undefined || headerGrpcStatus(raw) < 0) ? new CacheCapture(ctx, raw) : undefined;
  }

  add(chunk: Buffer): void {
    if (!this.chunks) return;
    this.bytes += chunk.length;
    if (this.bytes > this.ctx.route.config.degradation.cache.max_entry_bytes) {
      this.chunks = undefined;
      return;
    }
    this.chunks.push(chunk);
  }

  /** The answer completed (a gRPC one with `grpcStatus` in its trailers, kept only when OK): store what was kept. */
  complete(grpcStatus: number): void {
    if (this.chunks && (this.ctx.grpc === undefined || grpcStatus === 0)) this.ctx.cacheStore?.(200, this.raw, Buffer.concat(this.chunks));
    this.chunks = undefined;
  }
}
