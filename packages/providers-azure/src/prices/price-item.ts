/** One item of a Retail Prices page (the fields Meridian reads). */
export interface PriceItem {
  currencyCode: string;
  retailPrice: number;
  unitPrice?: number;
  tierMinimumUnits?: number;
  armRegionName: string;
  armSkuName: string;
  meterName: string;
  skuName: string;
  productName: string;
  serviceName: string;
  unitOfMeasure: string;
  type: string;
  isPrimaryMeterRegion?: boolean;
}

/** A Retail Prices page: `Items` and, when there are more, `NextPageLink`. */
export interface PricePage {
  Items?: PriceItem[];
  NextPageLink?: string | null;
  BillingCurrency?: string;
}

/**
 * Whether an item is the pay-as-you-go hourly price of a Linux VM: Spot and
 * Low Priority meters and Windows products (`... Series Windows`) are not.
 */
export function isLinuxConsumption(item: PriceItem): boolean {
  const names = `${item.meterName} ${item.skuName}`;
  return (
    item.type === 'Consumption' &&
    item.unitOfMeasure === '1 Hour' &&
    !/\bSpot\b|\bLow Priority\b/i.test(names) &&
    !/\bWindows\b/i.test(item.productName) &&
    typeof item.retailPrice === 'number' &&
    Number.isFinite(item.retailPrice) &&
    (item.tierMinimumUnits ?? 0) === 0
  );
}

/** Checks that a parsed body looks like a Retail Prices page. */
export function isPricePage(body: unknown): body is PricePage {
  if (typeof body !== 'object' || body === null) return false;
  const page = body as PricePage;
  return (page.Items === undefined || Array.isArray(page.Items)) && (page.NextPageLink == null || typeof page.NextPageLink === 'string');
}
