import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DEFAULT_AWS_REGION } from '../functions/adapters/aws/client-config.js';

/** Region and account the local runtime pretends to run in (ARNs, queue URLs). */
export const LOCAL_REGION = DEFAULT_AWS_REGION;
export const LOCAL_ACCOUNT = '000000000000';

export interface LambdaContextProps {
  readonly functionName: string;
  /** The function's timeout: `getRemainingTimeInMillis()` counts down from it. */
  readonly timeoutMs: number;
  /** @default 1024 */
  readonly memoryMb?: number;
}

/**
 * A Lambda `Context` for one in-process invocation: a fresh request id and a deadline `timeoutMs`
 * from now, so handlers that budget their time (the export worker) behave as in Lambda.
 */
export function lambdaContext(props: LambdaContextProps): Context {
  const deadline = Date.now() + props.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: props.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${props.functionName}`,
    memoryLimitInMB: String(props.memoryMb ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${props.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * Runs `invocation`, rejecting with {@link InvocationTimeoutError} if it outlasts `timeoutMs`.
 * Unlike Lambda the invocation cannot be frozen, so it keeps running in the background; callers
 * treat the timeout as Lambda would (a 504 from the gateway, a failed batch for SQS).
 */
export async function withTimeout<T>(invocation: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InvocationTimeoutError(`${what} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([invocation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An invocation ran past its function's timeout. */
export class InvocationTimeoutError extends Error {
  override readonly name = 'InvocationTimeoutError';
}
