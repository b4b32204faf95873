import { z } from 'zod';
import { duration, positiveDuration, addressOrCidr } from './schema-primitives.ts';

// The public listener and the admin listener.

/**
 * TLS on a listener (Envoy's DownstreamTlsContext, flattened): PEM files, re-read on reload
 * (SIGHUP / POST /reload) without dropping open connections. `trusted_ca` + `require_client_certificate`
 * is mutual TLS.
 */
export const listenerTlsSchema = z.strictObject({
  certificate_chain: z.strictObject({ filename: z.string().min(1) }),
  private_key: z.strictObject({ filename: z.string().min(1) }),
  /** CA bundle that client certificates must chain to. */
  trusted_ca: z.strictObject({ filename: z.string().min(1) }).optional(),
  require_client_certificate: z.boolean().default(false),
  tls_minimum_protocol_version: z.enum(['TLSv1_2', 'TLSv1_3']).default('TLSv1_2'),
}).refine(t => !t.require_client_certificate || t.trusted_ca !== undefined, { message: 'require_client_certificate needs trusted_ca (the CA client certificates must chain to)', path: ['trusted_ca'] });

/** The public listener. */
export const listenerSchema = z
  .strictObject({
    address: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    max_header_bytes: z.number().int().min(1024).default(16_384),
    /**
     * Envoy's name: how long a client may take to send the request headers, from its first byte
     * (a header trickle holds a connection no longer). Answered 408 and closed. Envoy has no
     * default; ours is 10 s, HAProxy's usual `timeout http-request`.
     */
    request_headers_timeout: positiveDuration.default(10_000),
    /**
     * Envoy's name (HttpConnectionManager.request_timeout): how long a client may take to send
     * the whole request, body included — the bound on a body trickled a byte at a time, i.e. a
     * minimum data rate of (body size ÷ this). Answered 408 and closed. 0 disables it. Envoy has
     * no default; ours is 60 s (nginx's client_body_timeout).
     */
    request_timeout: duration.default(60_000),
    /**
     * nginx's name (`send_timeout`; Envoy has no such field — its flow-control buffers and
     * stream_idle_timeout cover it): a connection whose client takes none of the bytes queued for it
     * (its kernel send buffer full) for this long is closed. Without it a client that stops reading
     * holds its connection, the answers queued for it and their upstream connections forever, and
     * an HTTP/2 session with a full write queue is no longer read at all, so no other guard runs.
     * Checked every second; 0 turns it off. Reloads in place.
     */
    send_timeout: duration.default(60_000),
    /**
     * Request-target canonicalisation (apps/gateway routing/request-target.ts): `//` runs merged
     * (on by default, unlike Envoy) and what to do with `%2F`/`%5C` (Envoy's
     * path_with_escaped_slashes_action; refused by default).
     */
    merge_slashes: z.boolean().default(true),
    path_with_escaped_slashes_action: z.enum(['REJECT_REQUEST', 'KEEP_UNCHANGED', 'UNESCAPE_AND_FORWARD']).default('REJECT_REQUEST'),
    /** Peers whose x-forwarded-for and x-brownout-deadline-ms are believed: addresses or CIDR ranges, IPv4 or IPv6. */
    trusted_proxies: z.array(addressOrCidr).default([]),
    /**
     * Envoy's names. Every request gets an `x-request-id` (a UUIDv4), forwarded upstream, returned
     * to the client and written to the access log. A valid incoming one (1–128 of `A-Za-z0-9._:-`)
     * is kept when the peer is a trusted proxy, or from anyone with preserve_external_request_id.
     */
    generate_request_id: z.boolean().default(true),
    preserve_external_request_id: z.boolean().default(false),
    /** Serve HTTPS instead of plain HTTP; see listenerTlsSchema. */
    tls: listenerTlsSchema.optional(),
    /**
     * Envoy's name. AUTO: with `tls`, HTTP/2 and HTTP/1.1 by ALPN; without, HTTP/1.1. HTTP1: HTTP/1.1
     * only. HTTP2: HTTP/2 only — over TLS, or without `tls` cleartext h2c with prior knowledge
     * (Node's h2c server cannot also answer HTTP/1.1 on the same port). Needs a restart to change.
     */
    codec_type: z.enum(['AUTO', 'HTTP1', 'HTTP2']).default('AUTO'),
    /** Envoy's name; 100 concurrent streams per connection is Envoy's recommendation for an edge proxy. */
    http2_protocol_options: z
      .strictObject({
        max_concurrent_streams: z.number().int().min(1).max(2_147_483_647).default(100),
        initial_stream_window_size: z.number().int().min(65_535).max(2_147_483_647).default(65_535),
        /**
         * Not an Envoy field (Envoy leaves this to an external rate limiter; HAProxy has it as
         * stick-table glitch counters + `tcp-request connection reject`): a client address whose
         * HTTP/2 sessions were closed for abuse twice (rapid resets, floods, HPACK bombs, invalid
         * frames) has its new connections closed at accept for this long after the last one. An
         * IPv6 client is judged by its /64; trusted_proxies are never refused (only their abusive
         * sessions are closed). 0 turns it off.
         */
        abusive_client_penalty: duration.default(10_000),
        /**
         * Not an Envoy field (Node's `maxSessionMemory`): the memory one HTTP/2 session may hold in
         * streams, header tables, header blocks being decoded and frames not yet written to the
         * socket, in MiB. Above it new streams are refused, and a session whose streams keep being
         * refused is closed for abuse. Lower closes an HPACK bomb sooner (thousands of header
         * blocks, each refused only after decoding: ~250 ms of CPU per connection at 10, one read
         * at 1) but refuses the streams of an honest client on a slow link with many downloads in
         * flight, which needed 6 (test/http2-floods.test.ts): 10 is Node's default and the floor
         * an honest session was measured against.
         */
        max_session_memory_mb: z.number().int().min(1).max(1024).default(10),
        /**
         * Not an Envoy field (nginx counts HTTP/2 streams against `limit_conn` this way): the
         * streams one client address may have in flight over all of its HTTP/2 sessions, since
         * max_concurrent_streams bounds only one session and a client opens as many as it likes.
         * Over it a stream is refused with RST_STREAM(REFUSED_STREAM), which a client may retry.
         * An IPv6 client is judged by its /64; trusted_proxies are never limited. Default: two
         * sessions' worth at the default max_concurrent_streams. 0 turns it off.
         */
        max_concurrent_streams_per_client: z.number().int().min(0).max(2_147_483_647).default(200),
      })
      .prefault({}),
  })
  .prefault({});

/** The admin API's own listener (never the public one). */
export const adminSchema = z
  .strictObject({
    address: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9901),
    /** Bearer token; `env:NAME` reads it from the environment. Redacted by GET /config. */
    token: z.string().min(1).optional(),
    /** Read-only bearer token (GET endpoints, /stats/prometheus): for scrapers and dashboards. `env:NAME` as above. */
    read_token: z.string().min(1).optional(),
    /** The admin listener's own TLS (same shape as listener.tls). */
    tls: listenerTlsSchema.optional(),
  })
  .prefault({});
