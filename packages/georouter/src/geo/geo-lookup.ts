import type { GeoDatabase } from './geo-database.js';

/** What a router asks of its database: a {@link GeoDatabase}, or a stand-in when there is none. */
export type GeoLookup = Pick<GeoDatabase, 'uncovered' | 'place' | 'reload' | 'watch' | 'close'>;
