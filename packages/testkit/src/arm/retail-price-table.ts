/** One item of the Azure Retail Prices API, in the recorded shape. */
export interface RetailPriceItem {
  currencyCode: string;
  tierMinimumUnits: number;
  reservationTerm?: string;
  retailPrice: number;
  unitPrice: number;
  armRegionName: string;
  location: string;
  effectiveStartDate: string;
  meterId: string;
  meterName: string;
  productId: string;
  skuId: string;
  productName: string;
  skuName: string;
  serviceName: string;
  serviceId: string;
  serviceFamily: string;
  unitOfMeasure: string;
  type: 'Consumption' | 'Reservation' | 'DevTestConsumption';
  isPrimaryMeterRegion: boolean;
  armSkuName: string;
}

const REGIONS: Record<string, { location: string; factor: number }> = {
  eastus: { location: 'US East', factor: 1 },
  westeurope: { location: 'EU West', factor: 1.15 },
  northeurope: { location: 'EU North', factor: 1.06 },
  swedencentral: { location: 'SE Central', factor: 1.04 },
};

// US East Linux pay-as-you-go $/hour, and the series product name, roughly as published.
const SIZES: Record<string, { base: number; sku: string; series: string; productId: string }> = {
  Standard_B2s: { base: 0.0416, sku: 'B2s', series: 'BS Series', productId: 'DZH318Z0BQ4P' },
  Standard_D2s_v5: { base: 0.096, sku: 'D2s v5', series: 'Dsv5 Series', productId: 'DZH318Z08M9W' },
  Standard_D4s_v5: { base: 0.192, sku: 'D4s v5', series: 'Dsv5 Series', productId: 'DZH318Z08M9W' },
};

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

/**
 * A small table in the shape prices.azure.com returns: per region and size a Linux
 * pay-as-you-go item plus the ones a client must filter out (Windows, Spot, Low
 * Priority, a 1-year reservation, Dev/Test).
 */
export function defaultRetailPriceItems(): RetailPriceItem[] {
  const items: RetailPriceItem[] = [];
  let meter = 0;
  for (const [armRegionName, region] of Object.entries(REGIONS)) {
    for (const [armSkuName, size] of Object.entries(SIZES)) {
      const linux = round(size.base * region.factor);
      const item = (variant: string, product: string, price: number, extra: Partial<RetailPriceItem> = {}): RetailPriceItem => ({
        currencyCode: 'USD', tierMinimumUnits: 0, retailPrice: price, unitPrice: price, armRegionName, location: region.location,
        effectiveStartDate: '2023-06-01T00:00:00Z', meterId: `00000000-0000-4000-8000-${String(++meter).padStart(12, '0')}`,
        meterName: `${size.sku}${variant}`, productId: size.productId, skuId: `${size.productId}/${String(meter).padStart(4, '0')}`,
        productName: `Virtual Machines ${size.series}${product}`, skuName: `${size.sku}${variant}`, serviceName: 'Virtual Machines',
        serviceId: 'DZH313Z7MMC8', serviceFamily: 'Compute', unitOfMeasure: '1 Hour', type: 'Consumption', isPrimaryMeterRegion: true, armSkuName, ...extra,
      });
      items.push(
        item('', '', linux),
        item('', ' Windows', round(linux + size.base * 0.96)),
        item(' Spot', '', round(linux * 0.12)),
        item(' Low Priority', '', round(linux * 0.2)),
        item(' Spot', ' Windows', round((linux + size.base * 0.96) * 0.2)),
        item('', '', round(linux * 0.62 * 8760), { type: 'Reservation', reservationTerm: '1 Year', unitPrice: round(linux * 0.62 * 8760), retailPrice: round(linux * 0.62 * 8760) }),
        item('', '', round(linux * 0.9), { type: 'DevTestConsumption' }),
      );
    }
  }
  return items;
}
