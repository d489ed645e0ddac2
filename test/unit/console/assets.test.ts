import { describe, expect, it } from 'vitest'
import { ConsoleAssets } from '../../../src/console/assets.js'

// Reads the built console (dist/console; `npm test` builds it first).
describe('ConsoleAssets', () => {
  const assets = new ConsoleAssets()

  it('points the page at the prefix it is served under', () => {
    const html = assets.page('/tenants/acme/api').body.toString()
    expect(html).toContain('<base href="/tenants/acme/api/_console/">')
  })

  it('escapes a prefix that came from the request path', () => {
    const html = assets.page('/t/"><script>alert(1)</script>').body.toString()
    expect(html).not.toContain('<script>alert')
    expect(html).toContain('<base href="/t/&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;/_console/">')
  })

  it('knows only the files the build produced', () => {
    expect(assets.asset('../index.html')).toBeUndefined()
    expect(assets.asset('.source-hash')).toBeUndefined()
  })
})
