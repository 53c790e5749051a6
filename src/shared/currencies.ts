/**
 * ISO 4217 currencies accepted for real-money prices, with their minor-unit digits.
 * Digits follow ISO 4217 (not CLDR display rules): JPY 0, USD 2, KWD 3, CLF 4.
 */
const ZERO_DIGITS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const THREE_DIGITS = 'BHD IQD JOD KWD LYD OMR TND';
const FOUR_DIGITS = 'CLF UYW';
const TWO_DIGITS =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
  'CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS ' +
  'GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL ' +
  'MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK ' +
  'PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS ' +
  'TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG';

function table(): ReadonlyMap<string, number> {
  const digits = new Map<string, number>();
  for (const [codes, n] of [
    [TWO_DIGITS, 2],
    [ZERO_DIGITS, 0],
    [THREE_DIGITS, 3],
    [FOUR_DIGITS, 4],
  ] as const) {
    for (const code of codes.split(' ')) digits.set(code, n);
  }
  return digits;
}

/** ISO 4217 code → number of minor-unit digits. */
export const ISO_CURRENCY_DIGITS: ReadonlyMap<string, number> = table();

export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCY_DIGITS.has(code);
}

/** Minor-unit digits of an ISO currency, or undefined when the code is not ISO 4217. */
export function isoDigits(code: string): number | undefined {
  return ISO_CURRENCY_DIGITS.get(code);
}
