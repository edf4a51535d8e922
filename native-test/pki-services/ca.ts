/**
 * A CA hierarchy made with the openssl command for revocation and timestamp tests: root →
 * intermediate → leaves, TSA and OCSP responder. Certificates point at loopback URLs chosen
 * before they are issued. Index files follow `openssl ca`'s format, used by both
 * `openssl ocsp -index` and `openssl ca -gencrl`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CaUrls {
  /** OCSP responder for certificates issued by the intermediate. */
  ocsp: string;
  /** Base for CRLs: `${crlBase}/root.crl` and `${crlBase}/int.crl`. */
  crlBase: string;
}

/** Leaf name → serial (hex) and how it is set up. */
export const LEAVES = {
  good: { serial: '1001', ext: 'leaf_ocsp' },
  revoked: { serial: '1002', ext: 'leaf_ocsp' },
  unknown: { serial: '1003', ext: 'leaf_ocsp' },
  crlGood: { serial: '1004', ext: 'leaf_crl' },
  crlRevoked: { serial: '1005', ext: 'leaf_crl' },
  ptc: { serial: '1006', ext: 'leaf_ptc' },
  tsa: { serial: '2001', ext: 'tsa' },
  ocspSigner: { serial: '2002', ext: 'ocsp_signer' },
} as const;
export type LeafName = keyof typeof LEAVES;

/** When `revoked` was revoked, as written in the index (YYMMDDHHMMSSZ), and why. */
export const REVOKED_AT = '250301080000Z';
export const REVOKED_AT_ISO = '2025-03-01T08:00:00.000Z';

export interface CaHierarchy {
  dir: string;
  root: Buffer;
  intermediate: Buffer;
  leaves: Record<LeafName, Buffer>;
  /** DER path signer → root, for a leaf. */
  path(leaf: LeafName): Buffer[];
  file(name: string): string;
}

function extensions(urls: CaUrls): string {
  return `[int]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
crlDistributionPoints=URI:${urls.crlBase}/root.crl
[leaf_ocsp]
keyUsage=critical,digitalSignature,nonRepudiation
authorityInfoAccess=OCSP;URI:${urls.ocsp}/
[leaf_crl]
keyUsage=critical,digitalSignature,nonRepudiation
crlDistributionPoints=URI:${urls.crlBase}/int.crl
[leaf_ptc]
keyUsage=critical,digitalSignature,nonRepudiation
authorityInfoAccess=OCSP;URI:http://ocsp.ca.ptc/
[tsa]
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,timeStamping
crlDistributionPoints=URI:${urls.crlBase}/int.crl
[ocsp_signer]
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,OCSPSigning
noCheck=ignored
`;
}

function caConfig(index: string, crlnumber: string): string {
  return `[ca]
default_ca = ca_default
[ca_default]
database = ${index}
crlnumber = ${crlnumber}
default_md = sha256
default_crl_days = 7
`;
}

export function makeCaHierarchy(dir: string, urls: CaUrls): CaHierarchy {
  const o = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const file = (name: string): string => join(dir, name);
  writeFileSync(file('ext.cnf'), extensions(urls));
  o(
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
    '30',
    '-subj',
    '/C=VN/O=Kyso TEST/CN=Kyso TEST Revocation Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-set_serial',
    '0x01',
  );
  const issue = (name: string, subject: string, serial: string, ext: string, ca: string): void => {
    o(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
      '-utf8',
    );
    o(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      `0x${serial}`,
      '-out',
      `${name}.pem`,
      '-days',
      '20',
      '-extfile',
      'ext.cnf',
      '-extensions',
      ext,
    );
    o('x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`);
  };
  issue('int', '/C=VN/O=Kyso TEST/CN=Kyso TEST Revocation Issuing CA', '0100', 'int', 'root');
  for (const [name, { serial, ext }] of Object.entries(LEAVES)) {
    issue(name, `/C=VN/O=Kyso TEST/CN=Kyso TEST ${name}`, serial, ext, 'int');
  }
  o('x509', '-in', 'root.pem', '-outform', 'DER', '-out', 'root.der');

  // Index of the intermediate: every leaf but "unknown" (so the responder does not know it).
  const line = (status: 'V' | 'R', serial: string, cn: string, revoked = ''): string =>
    `${status}\t301231235959Z\t${revoked}\t${serial}\tunknown\t/C=VN/O=Kyso TEST/CN=${cn}\n`;
  const intIndex = Object.entries(LEAVES)
    .filter(([name]) => name !== 'unknown')
    .map(([name, { serial }]) => {
      if (name === 'revoked')
        return line('R', serial, `Kyso TEST ${name}`, `${REVOKED_AT},keyCompromise`);
      if (name === 'crlRevoked')
        return line('R', serial, `Kyso TEST ${name}`, `${REVOKED_AT},cessationOfOperation`);
      return line('V', serial, `Kyso TEST ${name}`);
    })
    .join('');
  writeFileSync(file('int-index.txt'), intIndex);
  writeFileSync(file('root-index.txt'), line('V', '0100', 'Kyso TEST Revocation Issuing CA'));
  for (const ca of ['int', 'root']) {
    writeFileSync(file(`${ca}-index.txt.attr`), 'unique_subject = no\n');
    writeFileSync(file(`${ca}-crlnumber`), '01\n');
    writeFileSync(file(`${ca}-ca.cnf`), caConfig(file(`${ca}-index.txt`), file(`${ca}-crlnumber`)));
    o(
      'ca',
      '-gencrl',
      '-config',
      `${ca}-ca.cnf`,
      '-keyfile',
      `${ca}.key`,
      '-cert',
      `${ca}.pem`,
      '-out',
      `${ca}.crl.pem`,
    );
    o('crl', '-in', `${ca}.crl.pem`, '-outform', 'DER', '-out', `${ca}.crl`);
  }
  writeFileSync(
    file('chain.pem'),
    Buffer.concat([readFileSync(file('int.pem')), readFileSync(file('root.pem'))]),
  );

  const root = readFileSync(file('root.der'));
  const intermediate = readFileSync(file('int.der'));
  const leaves = Object.fromEntries(
    Object.keys(LEAVES).map((name) => [name, readFileSync(file(`${name}.der`))]),
  ) as Record<LeafName, Buffer>;
  return {
    dir,
    root,
    intermediate,
    leaves,
    path: (leaf) => [leaves[leaf], intermediate, root],
    file,
  };
}
