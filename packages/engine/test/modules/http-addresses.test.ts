/**
 * The address policy of `modules.http` on its own: which addresses a name may resolve to
 * (public unicast only, unless `allowAddresses` says otherwise; instance-metadata addresses only by
 * an entry of their own), and which `allowAddresses` entries are accepted. The engine-level attacks
 * are in test/hostile/http-capability.test.ts.
 */
import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { addressPermitted, parseAddressRange, specialRange, type AddressRange } from '../../src/lib/capabilities/http-addresses.js'

const ranges = (...entries: string[]): AddressRange[] =>
  entries.map((entry) => {
    const range = parseAddressRange(entry)
    if (typeof range === 'string') throw new Error(`${entry}: ${range}`)
    return range
  })
const permitted = (address: string, allow: AddressRange[] = []) => addressPermitted(ipaddr.process(address), allow)

describe('addresses reachable by default', () => {
  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    '%s (public unicast) is permitted',
    (address) => {
      expect(permitted(address)).toBe(true)
    },
  )

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.0.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.251', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:7f00:1::1', '6to4'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['4000::1', 'reserved'],
  ])('%s is refused (%s)', (address, range) => {
    expect(specialRange(ipaddr.process(address))).toBe(range)
    expect(permitted(address)).toBe(false)
  })

  it('an IPv4-mapped IPv6 address is judged as the IPv4 address it maps', () => {
    expect(permitted('::ffff:127.0.0.1')).toBe(false)
    expect(permitted('::ffff:7f00:1')).toBe(false)
    expect(permitted('::ffff:10.0.0.1', ranges('10.0.0.0/8'))).toBe(true)
    expect(permitted('10.0.0.1', ranges('::ffff:10.0.0.0/104'))).toBe(true)
  })
})

describe('allowAddresses', () => {
  it('a range lets in what it covers and nothing more', () => {
    const allow = ranges('10.1.0.0/16', 'fd00:1::/32', '127.0.0.1')
    expect([permitted('10.1.255.1', allow), permitted('10.2.0.1', allow), permitted('127.0.0.1', allow), permitted('127.0.0.2', allow)]).toEqual([
      true,
      false,
      true,
      false,
    ])
    expect([permitted('fd00:1:ffff::1', allow), permitted('fd00:2::1', allow)]).toEqual([true, false])
  })

  it.each(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192', '::ffff:169.254.169.254'])(
    'the metadata address %s passes only an entry of its own, never a range that covers it',
    (address) => {
      expect(permitted(address, ranges('0.0.0.0/0', '::/0', '169.254.0.0/16', '100.64.0.0/10', 'fd00::/8'))).toBe(false)
      const own = ipaddr.process(address).toString()
      expect(permitted(address, ranges(own))).toBe(true)
    },
  )

  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['::1', '::1/128'],
    ['::ffff:192.168.0.0/112', '192.168.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('%s parses as %s', (entry, expected) => {
    const range = parseAddressRange(entry)
    expect(typeof range === 'string' ? range : `${range[0].toString()}/${range[1]}`).toBe(expected)
  })

  it.each(['127.1', '0x7f.0.0.1', '010.0.0.1', 'localhost', '10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/8/8', 'fe80::1%eth0', '', '1.2.3.4 '])(
    '%j is not an entry',
    (entry) => {
      expect(typeof parseAddressRange(entry)).toBe('string')
    },
  )
})
