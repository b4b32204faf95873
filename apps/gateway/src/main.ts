#!/usr/bin/env node
import './lifecycle/heap-policy.ts'; // first: before any request-path code allocates
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@brownout/core';
import { loadConfigText } from '@brownout/core/config';
import { Gateway } from './gateway.ts';
import { ListenError } from './lifecycle/listen.ts';
import { USAGE, parseCli, resolveSecret } from './cli-options.ts';
import { checkConfigFile } from './lifecycle/config-check.ts';
import { GATEWAY_VERSION } from './lifecycle/version.ts';
import { handleSignals } from './lifecycle/signals.ts';
import { runPrimary, runWorker, workerCount } from './workers/processes.ts';

/**
 * `npm run gateway -- --config <file>`. A bad config stops start-up with every error listed by
 * path. SIGHUP reloads the file (an invalid one is refused and the old config keeps serving);
 * SIGTERM/SIGINT drain: stop accepting, finish in-flight requests, close pools.
 */
async function main(): Promise<void> {
  let cmd;
  try {
    cmd = parseCli(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`brownout: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    process.exit(2);
  }
  if (cmd.command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (cmd.command === 'version') {
    process.stdout.write(`brownout ${GATEWAY_VERSION}\n`);
    return;
  }
  if (cmd.command === 'check') {
    process.exit(await checkConfigFile(cmd.configPath, process.stdout, process.stderr));
  }
  const opts = cmd;
  let config;
  try {
    config = loadConfigText(await readFile(opts.configPath, 'utf8'));
  } catch (e) {
    if (e instanceof ConfigError) process.stderr.write(`brownout: ${opts.configPath}: ${e.message}\n`);
    else process.stderr.write(`brownout: cannot read ${opts.configPath}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  let token: string | undefined;
  let readToken: string | undefined;
  try {
    token = resolveSecret(config.admin.token, process.env) ?? process.env.BROWNOUT_ADMIN_TOKEN;
    readToken = resolveSecret(config.admin.read_token, process.env, 'admin.read_token') ?? (process.env.BROWNOUT_ADMIN_READ_TOKEN || undefined);
  } catch (e) {
    process.stderr.write(`brownout: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const generated = token === undefined || token === '';
  if (generated) token = randomBytes(18).toString('base64url');
  const redisUrl = process.env.REDIS_URL;
  const drainMs = Number(process.env.BROWNOUT_DRAIN_MS ?? 10_000);
  const gatewayOptions = {
    config,
    configPath: opts.configPath,
    accessLog: opts.accessLog,
    adminToken: token!,
    adminReadToken: readToken,
    redisUrl,
    snapshotPath: process.env.BROWNOUT_SWITCH_SNAPSHOT ?? (redisUrl ? 'brownout-switches.snapshot.json' : undefined),
  };
  const workers = workerCount(opts.workers ?? config.workers);
  if (workers > 1) {
    try {
      if (cluster.isPrimary) {
        await runPrimary(config, opts.configPath, workers, token!, drainMs);
        if (generated) process.stderr.write(`brownout: no admin token configured (admin.token or BROWNOUT_ADMIN_TOKEN): generated one for this run: ${token!}\n`);
      } else {
        await runWorker(gatewayOptions, workers);
      }
    } catch (e) {
      process.stderr.write(`brownout: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    }
    return;
  }
  const gw = new Gateway(gatewayOptions);
  let where;
  try {
    where = await gw.listen();
  } catch (e) {
    // One line naming the field and the cause, not a stack trace.
    process.stderr.write(`brownout: ${e instanceof ListenError ? e.message : e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  gw.log.info({ public: where.public, admin: where.admin, config: opts.configPath, switches: redisUrl ? 'redis' : 'embedded' }, 'brownout gateway listening');
  if (!redisUrl) {
    gw.log.warn('EMBEDDED SWITCH STORE: switches live in this process only (admin PUT /switches). Fleet mode — switches shared by every gateway — needs REDIS_URL.');
  }
  if (generated) gw.log.warn({ admin_token: token }, 'no admin token configured (admin.token or BROWNOUT_ADMIN_TOKEN): generated one for this run');

  handleSignals(gw.log, () => gw.reloadFromFile(), () => gw.close(drainMs), 'draining and shutting down');
}

void main();
