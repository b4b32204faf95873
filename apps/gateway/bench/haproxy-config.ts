/** The benchmarks' HAProxy: HTTP mode, keep-alive both ways, one backend server; `threads` as asked. */
export function haproxyConfig(port: number, upstream: number, threads: number): string {
  return `global
  nbthread ${threads}
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${upstream}
`;
}
