import { useEffect, useRef, useState } from 'react'
import swaggerScript from 'swagger-ui-dist/swagger-ui-bundle.js?url'
import swaggerStyles from 'swagger-ui-dist/swagger-ui.css?url'
import { apiUrl, authHeaders } from './api'

declare global {
  interface Window {
    SwaggerUIBundle?: (options: Record<string, unknown>) => unknown
  }
}

let loading: Promise<void> | undefined

/** Swagger UI is large: its files load the first time this page opens, from this mount. */
function loadSwagger(): Promise<void> {
  loading ??= new Promise((resolve, reject) => {
    const link = document.createElement('link')
    link.rel = 'stylesheet'
    link.href = swaggerStyles
    document.head.append(link)
    const script = document.createElement('script')
    script.src = swaggerScript
    script.onload = () => resolve()
    script.onerror = () => reject(new Error('Swagger UI failed to load'))
    document.head.append(script)
  })
  return loading
}

export function ApiPage() {
  const host = useRef<HTMLDivElement>(null)
  const [error, setError] = useState<string>()
  useEffect(() => {
    loadSwagger().then(
      () => {
        window.SwaggerUIBundle!({
          domNode: host.current,
          url: apiUrl('openapi.json'),
          // "Try it out" calls go out with the console's token.
          requestInterceptor: (req: { headers: Record<string, string> }) => {
            Object.assign(req.headers, authHeaders())
            return req
          },
          validatorUrl: null,
          deepLinking: false,
        })
      },
      (err: Error) => setError(err.message),
    )
  }, [])
  return (
    <section className="api-docs">
      {error && <p className="error">{error}</p>}
      <div ref={host} />
    </section>
  )
}
