import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway CA made with the openssl CLI for one test file, issuing certificates for loopback
 * (EC P-256 keys: quick to make). `file(name)` is a path, `pem(name)` its contents.
 */
export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'brownout-ca-'));
  readonly name: string;
  constructor(name = 'ca') {
    this.name = name;
    this.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', this.file(`${name}.key`), '-out', this.file(`${name}.pem`), '-days', '2', '-subj', `/CN=${name}`);
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  pem(name: string): Buffer {
    return readFileSync(this.file(name));
  }

  /** `<leaf>.pem` and `<leaf>.key`, valid for 127.0.0.1, ::1 and localhost, signed by this CA. */
  issue(leaf: string, serial = '0x1a'): { cert: string; key: string } {
    const f = (ext: string): string => this.file(`${leaf}.${ext}`);
    this.openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${leaf}`);
    writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
    this.openssl('x509', '-req', '-in', f('csr'), '-CA', this.file(`${this.name}.pem`), '-CAkey', this.file(`${this.name}.key`), '-set_serial', serial, '-days', '2', '-extfile', f('ext'), '-out', f('pem'));
    return { cert: f('pem'), key: f('key') };
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { stdio: 'ignore' });
  }
}
