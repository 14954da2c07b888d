// The `crypto` built-in module: hashes, HMAC, randomness, timing-safe comparison. Hashes and HMAC
// are computed here, in the isolate, by @noble/hashes (the cryptoSource bundle, evaluated on first
// use): a rule's hashing costs its own time and memory, never the host's main thread.

let nobleHashes
function loadHashes() {
  if (nobleHashes === undefined) {
    /** @type {{ exports: any }} */
    const cjs = { exports: {} }
    ReflectApply(IndirectEval(cryptoSource), undefined, [
      cjs,
      cjs.exports,
      function () {
        return {}
      },
    ])
    nobleHashes = cjs.exports
  }
  return nobleHashes
}
// Every name Node's createHash takes for the algorithms there are, by @noble/hashes' export name.
// Node (OpenSSL) matches names without regard to case; getHashes answers these, as Node spells them.
const HASH_NAMES = {
  md5: ['RSA-MD5', 'md5', 'md5WithRSAEncryption', 'ssl3-md5'],
  sha1: ['RSA-SHA1', 'RSA-SHA1-2', 'sha-1', 'sha1', 'sha1WithRSAEncryption', 'ssl3-sha1'],
  ripemd160: ['RSA-RIPEMD160', 'ripemd', 'ripemd-160', 'ripemd160', 'ripemd160WithRSA', 'rmd160'],
  sha224: ['RSA-SHA224', 'sha-224', 'sha2-224', 'sha224', 'sha224WithRSAEncryption'],
  sha256: ['RSA-SHA256', 'sha-256', 'sha2-256', 'sha256', 'sha256WithRSAEncryption'],
  sha384: ['RSA-SHA384', 'sha-384', 'sha2-384', 'sha384', 'sha384WithRSAEncryption'],
  sha512: ['RSA-SHA512', 'sha-512', 'sha2-512', 'sha512', 'sha512WithRSAEncryption'],
  sha512_224: ['RSA-SHA512/224', 'sha-512/224', 'sha2-512/224', 'sha512-224', 'sha512-224WithRSAEncryption'],
  sha512_256: ['RSA-SHA512/256', 'sha-512/256', 'sha2-512/256', 'sha512-256', 'sha512-256WithRSAEncryption'],
  sha3_224: ['RSA-SHA3-224', 'id-rsassa-pkcs1-v1_5-with-sha3-224', 'sha3-224'],
  sha3_256: ['RSA-SHA3-256', 'id-rsassa-pkcs1-v1_5-with-sha3-256', 'sha3-256'],
  sha3_384: ['RSA-SHA3-384', 'id-rsassa-pkcs1-v1_5-with-sha3-384', 'sha3-384'],
  sha3_512: ['RSA-SHA3-512', 'id-rsassa-pkcs1-v1_5-with-sha3-512', 'sha3-512'],
}
const hashByName = new MapCtor()
/** @type {string[]} */
const hashNames = []
ArrayPrototypeForEach(ObjectKeys(HASH_NAMES), function (alg) {
  ArrayPrototypeForEach(HASH_NAMES[alg], function (name) {
    ReflectApply(MapSet, hashByName, [StringPrototypeToLowerCase(name), alg])
    push(hashNames, name)
  })
})
ArrayPrototypeSort(hashNames)
// The @noble/hashes function for a name Node would take, or undefined.
function hashFunction(algorithm) {
  const alg = ReflectApply(MapGet, hashByName, [StringPrototypeToLowerCase(StringCtor(algorithm))])
  return alg === undefined ? undefined : loadHashes()[alg]
}

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
function finalized() {
  const err = new ErrorCtor('Digest already called')
  define(err, 'code', 'ERR_CRYPTO_HASH_FINALIZED')
  return err
}
// A hash (key undefined) or an HMAC; `hasher` is @noble/hashes' incremental state, or undefined
// when `algorithm` is none (Node's errors: createHash's Error, createHmac's TypeError).
function Hash(algorithm, key, hasher) {
  if (hasher === undefined) {
    const fn = hashFunction(algorithm)
    if (fn === undefined) {
      if (key === undefined) throw new ErrorCtor('Digest method not supported')
      const err = new TypeErrorCtor('Invalid digest: ' + StringCtor(algorithm))
      define(err, 'code', 'ERR_CRYPTO_INVALID_DIGEST')
      throw err
    }
    hasher = key === undefined ? fn.create() : loadHashes().hmac.create(fn, key)
  }
  define(this, '_hasher', hasher)
  define(this, '_key', key)
  define(this, '_done', false)
}
Hash.prototype.update = function update(data, encoding) {
  if (this._done) throw finalized()
  this._hasher.update(toBytes(data, encoding))
  return this
}
Hash.prototype.digest = function digest(encoding) {
  if (this._done) throw finalized()
  define(this, '_done', true)
  return digestOutput(this._hasher.digest(), encoding)
}
Hash.prototype.copy = function copy() {
  if (this._done) throw finalized()
  if (this._key !== undefined) throw new TypeErrorCtor('hmac.copy is not a function')
  return new Hash(undefined, undefined, this._hasher.clone())
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
// Node's randomFillSync(buffer[, offset[, size]]): the bytes of the view from offset, size long, random.
function randomFillSync(buffer, offset, size) {
  const bytes = bytesOf(buffer)
  if (bytes === undefined) {
    const err = new TypeErrorCtor('The "buf" argument must be an instance of ArrayBuffer or ArrayBufferView.')
    define(err, 'code', 'ERR_INVALID_ARG_TYPE')
    throw err
  }
  const start = offset === undefined ? 0 : +offset
  if (!(start >= 0 && start <= bytes.length) || MathFloor(start) !== start) {
    const err = new RangeErrorCtor('The value of "offset" is out of range. It must be >= 0 && <= ' + bytes.length + '. Received ' + StringCtor(offset))
    define(err, 'code', 'ERR_OUT_OF_RANGE')
    throw err
  }
  const count = size === undefined ? bytes.length - start : +size
  if (!(count >= 0 && start + count <= bytes.length) || MathFloor(count) !== count) {
    const err = new RangeErrorCtor('The value of "size" is out of range. It must be >= 0 && <= ' + (bytes.length - start) + '. Received ' + StringCtor(size))
    define(err, 'code', 'ERR_OUT_OF_RANGE')
    throw err
  }
  // At most 64 KiB per host call, as getRandomValues.
  for (let done = 0; done < count; done += 65536) {
    const n = count - done < 65536 ? count - done : 65536
    const random = callHost('$crypto.randomBytes', [n])
    for (let i = 0; i < n; i++) bytes[start + done + i] = random[i]
  }
  return buffer
}
function randomFill(buffer, offset, size, callback) {
  const done = typeof offset === 'function' ? offset : typeof size === 'function' ? size : callback
  if (typeof done !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function.')
  randomFillSync(buffer, typeof offset === 'function' ? undefined : offset, typeof size === 'function' ? undefined : size)
  QueueMicrotask(function () {
    done(null, buffer)
  })
}
const cryptoModule = {
  randomFillSync: randomFillSync,
  randomFill: randomFill,
  createHash: function createHash(algorithm) {
    return new Hash(algorithm, undefined, undefined)
  },
  createHmac: function createHmac(algorithm, key) {
    return new Hash(algorithm, toBytes(key), undefined)
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
    const x = toBytes(a)
    const y = toBytes(b)
    if (x.length !== y.length) {
      const err = new RangeErrorCtor('Input buffers must have the same byte length')
      define(err, 'code', 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH')
      throw err
    }
    // Every byte is compared, whatever the first difference: the time depends on the length only.
    let diff = 0
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i]
    return diff === 0
  },
  getRandomValues: getRandomValues,
  webcrypto: { getRandomValues: getRandomValues, randomUUID: randomUUID },
  getHashes: function getHashes() {
    return ArrayPrototypeMap(hashNames, function (name) {
      return name
    })
  },
}
