import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceLimits, THRESHOLD_DEFAULTS } from '../limits/resource-limits.ts';
import { SeededRandom } from '../testing/index.ts';
import { parseRetryOn } from '../retry/retry-on.ts';
import { RETRY_POLICY_DEFAULTS } from '../retry/retry-policy.ts';
import { emptyRetryStats, NoRetry, RetryState } from '../retry/retry-state.ts';
import { formatGrpcTimeout, grpcStatusForHttp, GrpcStatus, httpStatusForGrpc, parseGrpcStatus, parseGrpcTimeout } from './grpc-status.ts';

const withStatus = (code: string) => (n: string) => (n === 'grpc-status' ? code : undefined);

describe('gRPC statuses (issue 26)', () => {
  it('judges gRPC failures as Envoy does: the host\'s (UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED) vs the caller\'s (CANCELLED, INVALID_ARGUMENT)', () => {
    assert.equal(httpStatusForGrpc(GrpcStatus.OK), 200);
    assert.equal(httpStatusForGrpc(GrpcStatus.UNAVAILABLE), 503);
    assert.equal(httpStatusForGrpc(GrpcStatus.INTERNAL), 500);
    assert.equal(httpStatusForGrpc(GrpcStatus.DEADLINE_EXCEEDED), 504);
    assert.equal(httpStatusForGrpc(GrpcStatus.CANCELLED), 499);
    assert.equal(httpStatusForGrpc(GrpcStatus.INVALID_ARGUMENT), 400);
    assert.equal(httpStatusForGrpc(GrpcStatus.RESOURCE_EXHAUSTED), 429);
    assert.equal(httpStatusForGrpc(99), 500);
  });

  it('parses grpc-status strictly: a hostile value is no status', () => {
    assert.equal(parseGrpcStatus('14'), 14);
    assert.equal(parseGrpcStatus('0'), 0);
    for (const bad of [undefined, '', '17', '-1', '1e1', ' 1', '0x1', '140']) assert.equal(parseGrpcStatus(bad), -1, String(bad));
  });

  it('maps the gateway\'s own replies to gRPC statuses', () => {
    assert.equal(grpcStatusForHttp(503), GrpcStatus.UNAVAILABLE);
    assert.equal(grpcStatusForHttp(429), GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(grpcStatusForHttp(504), GrpcStatus.DEADLINE_EXCEEDED);
    assert.equal(grpcStatusForHttp(404), GrpcStatus.UNIMPLEMENTED);
    assert.equal(grpcStatusForHttp(500), GrpcStatus.UNAVAILABLE);
  });

  it('reads and writes grpc-timeout in every unit, refusing malformed ones', () => {
    assert.equal(parseGrpcTimeout('250m'), 250);
    assert.equal(parseGrpcTimeout('3S'), 3_000);
    assert.equal(parseGrpcTimeout('2M'), 120_000);
    assert.equal(parseGrpcTimeout('1H'), 3_600_000);
    assert.equal(parseGrpcTimeout('5000u'), 5);
    assert.equal(parseGrpcTimeout('7000000n'), 7);
    for (const bad of [undefined, '', '10', 'm', '123456789m', '1.5S', '-1m', '1s']) assert.equal(parseGrpcTimeout(bad), undefined, String(bad));
    assert.equal(formatGrpcTimeout(0.2), '1m');
    assert.equal(formatGrpcTimeout(1234.5), '1235m');
    assert.equal(formatGrpcTimeout(1e12), '99999999S');
  });

  it('retry_on gRPC conditions apply to a gRPC POST (and only they); a plain POST is still not retried', () => {
    const policy = { ...RETRY_POLICY_DEFAULTS, retry_on: parseRetryOn('unavailable,5xx'), num_retries: 2 };
    const grpcCall = new RetryState(policy, 'POST', new ResourceLimits(THRESHOLD_DEFAULTS), new SeededRandom(1), emptyRetryStats(), true);
    assert.ok(grpcCall.onResponse(200, withStatus('14'), 1_000) >= 0, 'UNAVAILABLE is retried');
    assert.equal(grpcCall.onResponse(200, withStatus('3'), 1_000), NoRetry.NotRetriable, 'INVALID_ARGUMENT is not');
    assert.equal(grpcCall.onResponse(503, () => undefined, 1_000), NoRetry.NotRetriable, '5xx on a POST stays unretried');
    const plainPost = new RetryState(policy, 'POST', new ResourceLimits(THRESHOLD_DEFAULTS), new SeededRandom(1), emptyRetryStats());
    assert.equal(plainPost.onResponse(200, withStatus('14'), 1_000), NoRetry.NotRetriable);
    const getCall = new RetryState({ ...policy, retry_on: parseRetryOn('deadline-exceeded') }, 'GET', new ResourceLimits(THRESHOLD_DEFAULTS), new SeededRandom(1), emptyRetryStats());
    assert.ok(getCall.onResponse(200, withStatus('4'), 1_000) >= 0);
    assert.equal(getCall.onResponse(200, withStatus('14'), 1_000), NoRetry.NotRetriable, 'only the named statuses');
  });
});
