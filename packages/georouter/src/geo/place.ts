import type { ClientLocation } from './geo-record.js';
import { preparePoint, type PreparedPoint } from './haversine.js';

/**
 * What routing needs from a database record: country, city and, when the
 * record has coordinates, the client's point prepared for distances. One flat
 * object, not a location plus a point, because one is kept per cached record
 * (see `cachedRecords`); shared by every address whose network points at that
 * record, so it is immutable.
 */
export class Place implements PreparedPoint {
  /** Whether the record has coordinates; the prepared point's fields are NaN otherwise. */
  readonly located: boolean;
  readonly latRad: number;
  readonly lonRad: number;
  readonly cosLat: number;
  /** ISO 3166-1 alpha-2, upper case, when known. */
  readonly country: string | undefined;
  /** City name, when known. */
  readonly city: string | undefined;

  constructor(location: ClientLocation | undefined) {
    const point = location?.lat !== undefined && location.lon !== undefined ? preparePoint({ lat: location.lat, lon: location.lon }) : undefined;
    this.located = point !== undefined;
    this.latRad = point?.latRad ?? Number.NaN;
    this.lonRad = point?.lonRad ?? Number.NaN;
    this.cosLat = point?.cosLat ?? Number.NaN;
    this.country = location?.country;
    this.city = location?.city;
    Object.freeze(this);
  }
}

/** No record for the address, or none of the fields routing reads. */
export const NOWHERE = new Place(undefined);
