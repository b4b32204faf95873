import type { Logger } from 'pino';

/**
 * The process's signals for a running gateway (one process, or a primary and its workers):
 * SIGHUP reloads the config; the first SIGTERM or SIGINT drains and exits (0, or 1 when the
 * shutdown itself fails), later ones are ignored while the drain runs.
 */
export function handleSignals(log: Logger, reload: () => Promise<unknown>, shutdown: () => Promise<void>, drainMessage: string): void {
  process.on('SIGHUP', () => {
    void reload();
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, drainMessage);
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}
