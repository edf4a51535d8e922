/**
 * A throwaway software PKI made with the openssl command: a root CA and one signer, for tests
 * and benchmarks that need keys outside any token (CMS unit tests, competitors in bench/pdf).
 * Writes root.key, root.pem, root.der, <name>.key, <name>.pem and <name>.der into `dir`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OpensslPkiOptions {
  rootSubject: string;
  signerSubject: string;
  /** File name stem of the signer's files (default "signer"). */
  name?: string;
  days?: number;
}

export function makeOpensslPki(dir: string, options: OpensslPkiOptions): void {
  const name = options.name ?? 'signer';
  const days = String(options.days ?? 30);
  const o = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  o([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    days,
    '-subj',
    options.rootSubject,
    '-utf8',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  o([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    options.signerSubject,
    '-utf8',
  ]);
  writeFileSync(join(dir, 'ext.cnf'), 'keyUsage=critical,digitalSignature,nonRepudiation\n');
  o([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    days,
    '-extfile',
    'ext.cnf',
  ]);
  o(['x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`]);
  o(['x509', '-in', 'root.pem', '-outform', 'DER', '-out', 'root.der']);
}
