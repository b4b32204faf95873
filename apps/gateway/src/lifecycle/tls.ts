import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { GatewayConfig } from '@brownout/core/config';

export type ListenerTls = NonNullable<GatewayConfig['listener']['tls']>;

/** A certificate, key or CA file that cannot be read or used: names the config field. */
export class TlsFileError extends Error {
  readonly code = 'GW_ERR_TLS';
  readonly field: string;
  constructor(field: string, message: string, cause?: unknown) {
    super(message, { cause });
    this.field = field;
  }
}

function read(field: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new TlsFileError(field, `${field}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, e);
  }
}

/**
 * The PEM material of a tls block, read now (start-up and every reload) and checked by building a
 * context from it: a key that does not parse or does not match its certificate is a TlsFileError
 * naming the block, before anything is swapped.
 */
export function secureContextOptions(section: 'listener' | 'admin', t: ListenerTls): SecureContextOptions {
  const opts = readMaterial(section, t);
  try {
    createSecureContext(opts);
  } catch (e) {
    throw new TlsFileError(`${section}.tls`, `${section}.tls: the certificate, key or CA cannot be used: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  return opts;
}

function readMaterial(section: 'listener' | 'admin', t: ListenerTls): SecureContextOptions {
  const at = (f: string): string => `${section}.tls.${f}`;
  return {
    cert: read(at('certificate_chain.filename'), t.certificate_chain.filename),
    key: read(at('private_key.filename'), t.private_key.filename),
    ...(t.trusted_ca ? { ca: read(at('trusted_ca.filename'), t.trusted_ca.filename) } : {}),
    minVersion: t.tls_minimum_protocol_version === 'TLSv1_3' ? 'TLSv1.3' : 'TLSv1.2',
  };
}

/** Server options for Node's https server: the context plus client-certificate checking. */
export function serverTlsOptions(section: 'listener' | 'admin', t: ListenerTls): TlsOptions {
  return {
    ...secureContextOptions(section, t),
    requestCert: t.require_client_certificate,
    rejectUnauthorized: t.require_client_certificate,
    ALPNProtocols: ['http/1.1'],
  };
}
