import type { FastifyInstance } from 'fastify';

/** A listener could not be bound: names the config field and the cause in one line. */
export class ListenError extends Error {
  readonly code = 'GW_ERR_LISTEN';
  readonly field: string;
  constructor(field: string, message: string, cause: unknown) {
    super(message, { cause });
    this.field = field;
  }
}

export async function bind(app: FastifyInstance, section: 'listener' | 'admin', host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const where = `${host}:${port}`;
    if (code === 'EADDRINUSE') throw new ListenError(`${section}.port`, `${section}.port: ${where} is already in use (EADDRINUSE)`, e);
    if (code === 'EACCES') throw new ListenError(`${section}.port`, `${section}.port: not allowed to listen on ${where} (EACCES; ports below 1024 need privileges)`, e);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
      throw new ListenError(`${section}.address`, `${section}.address: cannot listen on "${host}" (${code}: no such local address)`, e);
    }
    throw new ListenError(section, `${section}: cannot listen on ${where}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}
