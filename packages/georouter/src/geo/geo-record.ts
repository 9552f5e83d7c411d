import { selectFields, type FieldSelection } from './mmdb-fields.js';

/** Where a client is, as far as the database knows. */
export interface ClientLocation {
  /** Latitude, when known. */
  lat?: number;
  /** Longitude, when known. */
  lon?: number;
  /** ISO 3166-1 alpha-2 country, when known. */
  country?: string;
  /** City name, when known. */
  city?: string;
}

type Loose = Record<string, unknown> | null | undefined;

/** Every field {@link readLocation} reads, in either shape: the part of a record routing decodes. */
export const LOCATION_FIELDS: FieldSelection = selectFields({
  latitude: true,
  longitude: true,
  country_code: true,
  city: { names: { en: true } },
  location: { latitude: true, longitude: true },
  country: { iso_code: true },
  registered_country: { iso_code: true },
});

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Reads a location from a record of either common shape, detected per record:
 * DB-IP City Lite (flat: `latitude`, `longitude`, `country_code`, `city`) and
 * MaxMind GeoLite2/GeoIP2 City (nested: `location.latitude`, `country.iso_code`,
 * `city.names.en`).
 */
export function readLocation(record: Loose): ClientLocation | undefined {
  if (!record || typeof record !== 'object') return undefined;
  // Fast path: DB-IP City Lite's flat record.
  const flatLat = record.latitude;
  if (typeof flatLat === 'number' && typeof record.longitude === 'number' && typeof record.country_code === 'string') {
    const flat: ClientLocation = { lat: flatLat, lon: record.longitude, country: record.country_code.toUpperCase() };
    if (typeof record.city === 'string' && record.city.length > 0) flat.city = record.city;
    return flat;
  }
  const location = record.location as Loose;
  const out: ClientLocation = {};
  const lat = num(record.latitude) ?? num(location?.latitude);
  const lon = num(record.longitude) ?? num(location?.longitude);
  if (lat !== undefined && lon !== undefined) {
    out.lat = lat;
    out.lon = lon;
  }
  const country = str(record.country_code) ?? str((record.country as Loose)?.iso_code) ?? str((record.registered_country as Loose)?.iso_code);
  if (country) out.country = country.toUpperCase();
  const cityField = record.city;
  const city = typeof cityField === 'string' ? str(cityField) : str(((cityField as Loose)?.names as Loose)?.en);
  if (city) out.city = city;
  return out;
}
