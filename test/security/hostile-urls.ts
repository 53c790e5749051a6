// Destinations a developer may try to make Coinslot call (issue 17, finding 1); test/fuzz/hostile-destinations.test.ts generates more spellings.

/** Every URL of the finding, and the other spellings of internal addresses. */
export const INTERNAL_URLS = [
  'http://127.0.0.1:8080/',
  'https://127.0.0.1/',
  'http://localhost:3000/',
  'https://localhost/',
  'https://169.254.169.254/latest/meta-data/',
  'https://10.0.0.1/',
  'https://172.16.5.4/',
  'https://192.168.1.1/',
  'https://metadata.google.internal/computeMetadata/v1/',
  'https://metadata.google.internal./computeMetadata/v1/',
  'https://[::ffff:169.254.169.254]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::127.0.0.1]/', // IPv4-compatible
  'https://[64:ff9b::a9fe:a9fe]/', // NAT64 of 169.254.169.254
  'https://[2002:7f00:1::1]/', // 6to4 of 127.0.0.1
  'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', // Teredo
  'http://2130706433/', // 127.0.0.1 in decimal
  'https://2130706433/',
  'http://127.1/',
  'https://127.1/',
  'https://0x7f.0.0.1/',
  'https://0177.0.0.1/',
  'https://0/',
  'https://0.0.0.0/',
  'https://[::]/',
  'https://[::1]/',
  'https://[fe80::1]/',
  'https://[fc00::1]/',
  'https://[fd00:ec2::254]/', // AWS metadata over IPv6
  'https://100.64.0.1/', // carrier-grade NAT
  'https://100.100.100.200/', // Alibaba metadata
  'https://224.0.0.1/',
  'https://255.255.255.255/',
  'https://192.0.2.1/', // documentation
  'https://198.18.0.1/', // benchmarking
  'https://240.0.0.1/',
  'https://printer.local/',
  'https://db.internal/',
  'https://app.localhost/',
];
