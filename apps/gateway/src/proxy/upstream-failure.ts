import type { LocalReply } from '../pipeline/local-reply.ts';

/**
 * Why the gateway could not get an upstream answer for a request. Carried through reply-from's
 * error path (as the `cause` of its wrapper error) to the reply-from `onError` hook, which turns
 * it into a local reply or a degraded answer.
 */
export class UpstreamFailure extends Error {
  readonly code = 'GW_ERR_UPSTREAM';
  readonly reply: LocalReply;
  /** The automatic degradation trigger this failure corresponds to, if any. */
  readonly trigger: 'breaker' | 'no-healthy-host' | 'upstream' | 'local' | 'caller' | undefined;
  constructor(reply: LocalReply, trigger?: UpstreamFailure['trigger']) {
    super(reply.body);
    this.reply = reply;
    this.trigger = trigger;
  }
}

/** Walks an error's `cause` chain for an UpstreamFailure. */
export function findUpstreamFailure(err: unknown): UpstreamFailure | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e instanceof UpstreamFailure) return e;
    e = e.cause;
  }
  return undefined;
}
