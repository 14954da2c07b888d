/**
 * What a subpath throws when its driver (an optional peer dependency) failed to load: for a driver
 * that is not installed, an error naming the package to install instead of Node's bare "Cannot
 * find package"; any other failure (a broken install, an addon built for another Node) as it is.
 */
export function missingPeer(driver: string, entry: string, error: unknown): unknown {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown }
  const notFound = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${driver}'`)
  if (!notFound) return error
  return Object.assign(
    new Error(
      `${entry} needs ${driver}, an optional peer dependency of @tokenrules/oauth that is not installed: add it to your application (npm install ${driver}).`,
      {
        cause: error,
      },
    ),
    { code: 'ERR_MODULE_NOT_FOUND' },
  )
}
