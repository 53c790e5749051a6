// The reports module: read-only views over the ledger and purchases for developers and operators.
export {
  getSalesReport,
  salesReportInput,
  type SalesReportInput,
  type SalesReport,
  type SalesFigures,
  type ItemSales,
  type DailySales,
} from './sales-report.js';
