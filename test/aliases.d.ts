// The second majors of the hosts are installed under npm aliases; their API is typed like the first.
declare module 'express4' {
  import express from 'express'
  export default express
}

declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}
