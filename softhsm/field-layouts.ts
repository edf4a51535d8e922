/**
 * The field layouts: SoftHSM2 tokens whose objects sit the way vendor tools and imports leave
 * real tokens (see make-field-layouts.ts). One list, read by the builder and the tests.
 */
export type KeySpec =
  | { algorithm: 'RSA'; bits: 2048 | 3072 | 4096 }
  | { algorithm: 'EC'; curve: 'P-256' | 'P-384' | 'P-521' };

export interface FieldCertificateSpec {
  name: string;
  key: KeySpec;
  /**
   * How the key is stored: 'key-only' (private key, no public-key object, as p11tool/pkcs11-tool
   * imports leave it), 'pair' (private and public key objects); 'none': the certificate only.
   */
  keyObjects: 'key-only' | 'pair' | 'none';
  /** The certificate's CKA_ID differs from its key's: found by public key or label. */
  idMismatch?: boolean;
  /** The key's CKA_LABEL equals the certificate's (the only link for an EC key alone). */
  sameLabel?: boolean;
  /** The certificate is a private object (visible after login only). */
  privateCertificate?: boolean;
}

export interface FieldTokenSpec {
  role: 'keys-only' | 'id-mismatch' | 'private-cert' | 'many' | 'sizes';
  label: string;
  pin: string;
  soPin: string;
  certificates: FieldCertificateSpec[];
  /** Also store the field CA certificates (root without category, issuing as authority). */
  caCertificates?: boolean;
}

export const fieldTokens: FieldTokenSpec[] = [
  {
    role: 'keys-only',
    label: 'FIELD Chi khoa bi mat',
    pin: '710001',
    soPin: '71000100',
    certificates: [
      { name: 'Vũ Thị Khóa Riêng', key: { algorithm: 'RSA', bits: 2048 }, keyObjects: 'key-only' },
    ],
  },
  {
    role: 'id-mismatch',
    label: 'FIELD Lech CKA_ID',
    pin: '710002',
    soPin: '71000200',
    certificates: [
      {
        name: 'Hồ Văn Mô-đun',
        key: { algorithm: 'RSA', bits: 2048 },
        keyObjects: 'key-only',
        idMismatch: true,
      },
      {
        name: 'Đỗ Thị Điểm',
        key: { algorithm: 'EC', curve: 'P-256' },
        keyObjects: 'pair',
        idMismatch: true,
      },
      {
        name: 'Lý Văn Nhãn',
        key: { algorithm: 'EC', curve: 'P-384' },
        keyObjects: 'key-only',
        idMismatch: true,
        sameLabel: true,
      },
    ],
  },
  {
    role: 'private-cert',
    label: 'FIELD Chung thu rieng tu',
    pin: '710003',
    soPin: '71000300',
    certificates: [
      {
        name: 'Ngô Thị Riêng Tư',
        key: { algorithm: 'RSA', bits: 2048 },
        keyObjects: 'key-only',
        privateCertificate: true,
      },
    ],
  },
  {
    role: 'many',
    label: 'FIELD Nhieu chung thu',
    pin: '710004',
    soPin: '71000400',
    caCertificates: true,
    certificates: [
      { name: 'Bùi Văn Ký', key: { algorithm: 'EC', curve: 'P-256' }, keyObjects: 'key-only' },
      {
        name: 'Bùi Văn Ký (chứng thư cũ, không khóa)',
        key: { algorithm: 'RSA', bits: 2048 },
        keyObjects: 'none',
      },
      { name: 'Bùi Văn Ký (mã hóa)', key: { algorithm: 'RSA', bits: 2048 }, keyObjects: 'pair' },
    ],
  },
  {
    role: 'sizes',
    label: 'FIELD Kich thuoc khoa',
    pin: '710005',
    soPin: '71000500',
    certificates: [
      { name: 'RSA 3072 TEST', key: { algorithm: 'RSA', bits: 3072 }, keyObjects: 'key-only' },
      { name: 'RSA 4096 TEST', key: { algorithm: 'RSA', bits: 4096 }, keyObjects: 'key-only' },
      { name: 'P-384 TEST', key: { algorithm: 'EC', curve: 'P-384' }, keyObjects: 'key-only' },
      { name: 'P-521 TEST', key: { algorithm: 'EC', curve: 'P-521' }, keyObjects: 'key-only' },
    ],
  },
];

/** What the builder writes to DIR/field.json. */
export interface FieldLayouts {
  modulePath: string;
  softhsm2Conf: string;
  rootCaPem: string;
  tokens: Array<{
    role: FieldTokenSpec['role'];
    label: string;
    pin: string;
    certificates: Array<{
      name: string;
      keyObjects: FieldCertificateSpec['keyObjects'];
      id: string;
      pem: string;
    }>;
    caCertificateIds: string[];
  }>;
}
