// The `crypto` built-in module: hashes, HMAC, randomness, timing-safe comparison.

function toBytes(data, encoding) {
  const B = loadBuffer()
  if (typeof data === 'string') return B.from(data, encoding === undefined ? 'utf8' : encoding)
  const bytes = bytesOf(data)
  if (bytes === undefined) throw new TypeErrorCtor('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.')
  return bytes
}
function digestOutput(bytes, encoding) {
  const buf = toBuffer(bytes)
  return encoding === undefined || encoding === 'buffer' ? buf : buf.toString(encoding) // live: the buffer package's Buffer
}
function Hash(algorithm, key) {
  define(this, '_alg', StringCtor(algorithm))
  define(this, '_key', key)
  define(this, '_chunks', [])
  define(this, '_done', false)
}
Hash.prototype.update = function update(data, encoding) {
  if (this._done) throw new ErrorCtor('Digest already called')
  push(this._chunks, toBytes(data, encoding))
  return this
}
Hash.prototype.digest = function digest(encoding) {
  if (this._done) throw new ErrorCtor('Digest already called')
  define(this, '_done', true)
  const bytes = this._key === undefined ? callHost('$crypto.hash', [this._alg, this._chunks]) : callHost('$crypto.hmac', [this._alg, this._key, this._chunks])
  return digestOutput(bytes, encoding)
}
function randomBytes(size, callback) {
  const n = +size
  if (!(n >= 0 && n <= 65536 * 16)) throw new RangeErrorCtor('The value of "size" is out of range.')
  const buf = toBuffer(callHost('$crypto.randomBytes', [n]))
  if (typeof callback === 'function') {
    QueueMicrotask(function () {
      callback(null, buf)
    })
    return undefined
  }
  return buf
}
const cryptoModule = {
  createHash: function createHash(algorithm) {
    return new Hash(algorithm, undefined)
  },
  createHmac: function createHmac(algorithm, key) {
    return new Hash(algorithm, toBytes(key))
  },
  randomBytes: randomBytes,
  randomUUID: randomUUID,
  randomInt: function randomInt(min, max) {
    if (max === undefined) {
      max = min
      min = 0
    }
    return callHost('$crypto.randomInt', [min, max])
  },
  timingSafeEqual: function timingSafeEqual(a, b) {
    return callHost('$crypto.timingSafeEqual', [toBytes(a), toBytes(b)])
  },
  getRandomValues: getRandomValues,
  webcrypto: { getRandomValues: getRandomValues, randomUUID: randomUUID },
  getHashes: function getHashes() {
    return callHost('$crypto.getHashes', [])
  },
}
