// Terminal formatting is the report package's: one definition, so the table, the gate output, the
// JUnit file and the HTML report print every figure the same way.

export { formatCount, formatMs, formatPercent, formatMoneyCode as formatMoney } from "@synclag/report";
