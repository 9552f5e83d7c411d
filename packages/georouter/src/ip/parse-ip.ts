import { isIPv4, isIPv6 } from 'node:net';
import { MeridianError } from '@meridian/core';

/** A validated client address. */
export interface ParsedIp {
  /** The address to look up: dotted IPv4 (also for IPv4-mapped IPv6), or IPv6 lower-cased. */
  address: string;
  /** 4 or 6 (an IPv4-mapped IPv6 address is 4). */
  version: 4 | 6;
  /** IPv4 only: the address as an unsigned 32-bit number. */
  v4?: number;
}

/**
 * Parses dotted-quad IPv4 strictly (no leading zeros, each octet 0-255) into an
 * unsigned 32-bit number, or -1. A hand loop: this runs on every route.
 */
export function ipv4ToNumber(s: string): number {
  const length = s.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255 || ++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

const MAPPED_DOTTED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;
const MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

function invalid(input: unknown, why: string): MeridianError {
  const shown = typeof input === 'string' ? JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input) : String(input);
  return new MeridianError('INVALID_ARGUMENT', `Invalid client IP ${shown}: ${why}`, { details: { field: 'ip' } });
}

/**
 * Validates a client IP. Refuses empty strings, zone ids (`fe80::1%eth0`), CIDRs
 * and anything that is not an IP, with INVALID_ARGUMENT naming the problem.
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4.
 */
export function parseIp(input: unknown): ParsedIp {
  if (typeof input !== 'string') throw invalid(input, 'must be a string');
  const v4 = ipv4ToNumber(input);
  if (v4 >= 0) return { address: input, version: 4, v4 };
  if (isIPv4(input)) throw invalid(input, 'octets with leading zeros are ambiguous (octal?)');
  if (input.length === 0) throw invalid(input, 'empty');
  if (input.includes('%')) throw invalid(input, 'zone ids are not client addresses');
  if (input.includes('/')) throw invalid(input, 'a CIDR range is not a client address');
  if (input.trim() !== input) throw invalid(input, 'surrounding whitespace');
  if (!isIPv6(input)) throw invalid(input, 'not an IPv4 or IPv6 address');
  const dotted = MAPPED_DOTTED.exec(input);
  if (dotted) {
    const n = ipv4ToNumber(dotted[1]!);
    if (n < 0) throw invalid(input, 'not an IPv4-mapped address');
    return { address: dotted[1]!, version: 4, v4: n };
  }
  const hex = MAPPED_HEX.exec(input);
  if (hex) {
    const hi = Number.parseInt(hex[1]!, 16);
    const lo = Number.parseInt(hex[2]!, 16);
    return { address: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`, version: 4, v4: hi * 65536 + lo };
  }
  return { address: input.toLowerCase(), version: 6 };
}
