import type { LocalRegionOptions } from '@meridian/providers-local';

/** The four regions of the seed design, at their real coordinates. */
export const regions: LocalRegionOptions[] = [
  { id: 'us-east', name: 'Virginia, USA', location: { lat: 37.5, lon: -77.5 }, priority: 0 },
  { id: 'eu-west', name: 'Ireland, EU', location: { lat: 53.3, lon: -6.2 }, priority: 1 },
  { id: 'ap-south', name: 'Singapore, APAC', location: { lat: 1.3, lon: 103.8 }, priority: 2 },
  { id: 'ru-central', name: 'Moscow, Russia', location: { lat: 55.7, lon: 37.6 }, priority: 3 },
];
