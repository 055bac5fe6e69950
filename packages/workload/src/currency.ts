// The currencies a cost model may be in: ISO 4217's active codes, as one fixed list shared by the
// scenario schema (`cost.currency`), `synclag demo --currency` and the result-document validator.
// Easy to get wrong: the runtime's list (`Intl.supportedValuesOf("currency")`, Node's ICU) is not ISO
// 4217 — it lacks fund codes such as CLF, still has withdrawn ones (HRK, ANG, ZWL), and changes with
// the Node version, so the same scenario file would pass on one machine and fail on the next. Case:
// a code is read in any case where a person types it ("eur" in a scenario file or `--currency eur`)
// and kept in capitals, so everything synclag writes (a scenario printed back, result documents) has
// the capitals, and a result document must.

/**
 * ISO 4217 List One (SIX, as published 1 January 2026: ANG, BGN and CUC withdrawn, XAD and XCG added),
 * currencies and funds, without the codes that are not money: the precious metals (XAG, XAU, XPD,
 * XPT), the bond-market units (XBA–XBD), the testing code XTS and "no currency" XXX. Update it when
 * an amendment adds or withdraws a code.
 */
export const ISO_4217_CURRENCY_CODES: readonly string[] = [
  "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN",
  "BAM", "BBD", "BDT", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
  "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK",
  "DJF", "DKK", "DOP", "DZD",
  "EGP", "ERN", "ETB", "EUR",
  "FJD", "FKP",
  "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
  "HKD", "HNL", "HTG", "HUF",
  "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
  "JMD", "JOD", "JPY",
  "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
  "LAK", "LBP", "LKR", "LRD", "LSL", "LYD",
  "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN",
  "NAD", "NGN", "NIO", "NOK", "NPR", "NZD",
  "OMR",
  "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
  "QAR",
  "RON", "RSD", "RUB", "RWF",
  "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
  "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
  "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS",
  "VED", "VES", "VND", "VUV",
  "WST",
  "XAD", "XAF", "XCD", "XCG", "XDR", "XOF", "XPF", "XSU", "XUA",
  "YER",
  "ZAR", "ZMW", "ZWG",
];

const CODES: ReadonlySet<string> = new Set(ISO_4217_CURRENCY_CODES);

/** Whether `value` is one of ISO_4217_CURRENCY_CODES as stored: three capitals ("EUR", not "eur"). */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === "string" && CODES.has(value);
}

/** The stored form (capitals) of a code typed in any case — "eur" → "EUR" — or undefined if it is none. */
export function currencyCode(text: string): string | undefined {
  // ASCII letters only: "ıNR".toUpperCase() is "INR", and that is no code anyone typed.
  if (!/^[A-Za-z]{3}$/.test(text)) return undefined;
  const upper = text.toUpperCase();
  return CODES.has(upper) ? upper : undefined;
}
