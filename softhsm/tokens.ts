/** The TEST tokens: who holds them and what their certificates say. */
export interface TestTokenSpec {
  role: 'leader' | 'clerk' | 'seal' | 'ecdsa' | 'expired' | 'sim';
  label: string;
  keyLabel: string;
  pin: string;
  soPin: string;
  keyAlgorithm: 'RSA' | 'EC';
  alwaysAuthenticate?: boolean;
  expired?: boolean;
  subject: Array<['C' | 'ST' | 'L' | 'O' | 'OU' | 'T' | 'CN' | 'UID', string]>;
}

const province = 'Tỉnh Thử Nghiệm (TEST)';

export const testTokens: TestTokenSpec[] = [
  {
    role: 'leader',
    label: 'KYSO TEST Lanh dao',
    keyLabel: 'Nguyễn Văn Ánh',
    pin: '111111',
    soPin: '11111111',
    keyAlgorithm: 'RSA',
    subject: [
      ['C', 'VN'],
      ['ST', province],
      ['O', 'Sở Thông tin và Truyền thông (TEST)'],
      ['T', 'Giám đốc'],
      ['CN', 'Nguyễn Văn Ánh'],
      ['UID', 'CCCD:001085012345'],
    ],
  },
  {
    role: 'clerk',
    label: 'KYSO TEST Van thu',
    keyLabel: 'Trần Thị Bích Ngọc',
    pin: '222222',
    soPin: '22222222',
    keyAlgorithm: 'RSA',
    subject: [
      ['C', 'VN'],
      ['ST', province],
      ['O', 'Sở Thông tin và Truyền thông (TEST)'],
      ['T', 'Văn thư'],
      ['CN', 'Trần Thị Bích Ngọc'],
      ['UID', 'CCCD:079190054321'],
    ],
  },
  {
    role: 'seal',
    label: 'KYSO TEST Con dau',
    keyLabel: 'Ủy ban nhân dân tỉnh Thử Nghiệm',
    pin: '333333',
    soPin: '33333333',
    keyAlgorithm: 'RSA',
    subject: [
      ['C', 'VN'],
      ['ST', province],
      ['O', 'Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)'],
      ['CN', 'Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)'],
      ['UID', 'MST:0100109106'],
    ],
  },
  {
    role: 'ecdsa',
    label: 'KYSO TEST ECDSA',
    keyLabel: 'Lê Hoàng Phúc',
    pin: '444444',
    soPin: '44444444',
    keyAlgorithm: 'EC',
    subject: [
      ['C', 'VN'],
      ['ST', province],
      ['O', 'Sở Tài chính (TEST)'],
      ['T', 'Chuyên viên'],
      ['CN', 'Lê Hoàng Phúc'],
      ['UID', 'CCCD:031095067890'],
    ],
  },
  {
    role: 'expired',
    label: 'KYSO TEST Het han',
    keyLabel: 'Phạm Thị Hết Hạn',
    pin: '555555',
    soPin: '55555555',
    keyAlgorithm: 'RSA',
    expired: true,
    subject: [
      ['C', 'VN'],
      ['ST', province],
      ['O', 'Sở Nội vụ (TEST)'],
      ['CN', 'Phạm Thị Hết Hạn'],
      ['UID', 'CCCD:001080099999'],
    ],
  },
  {
    role: 'sim',
    label: 'SIM PKI TEST Viettel',
    keyLabel: 'Đặng Quốc Việt (SIM PKI)',
    pin: '666666',
    soPin: '66666666',
    keyAlgorithm: 'RSA',
    alwaysAuthenticate: true,
    subject: [
      ['C', 'VN'],
      ['ST', province],
      ['O', 'Văn phòng UBND tỉnh (TEST)'],
      ['T', 'Chánh Văn phòng'],
      ['CN', 'Đặng Quốc Việt'],
      ['UID', 'CCCD:038088011223'],
    ],
  },
];
