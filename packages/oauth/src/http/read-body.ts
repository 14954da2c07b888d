import { OAuthError, invalidRequest } from '../errors.js'

/** The request body's bytes, refusing more than `maxBytes` before reading past the limit. */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) throw invalidRequest('Invalid Content-Length header.')
    if (Number(declared) > maxBytes) throw bodyTooLarge(maxBytes)
  }
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined)
        throw bodyTooLarge(maxBytes)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof OAuthError) throw error
    throw invalidRequest('The request body could not be read.')
  } finally {
    reader.releaseLock()
  }
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

function bodyTooLarge(maxBytes: number) {
  return invalidRequest(`The request body is larger than ${maxBytes} bytes.`)
}
