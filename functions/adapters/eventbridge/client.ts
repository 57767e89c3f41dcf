import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type AwsClientOptions, awsClientConfig } from '../aws/client-config.js';

/** EventBridge client; with `endpoint` (an emulator) it uses local credentials unless AWS ones are set. */
export function createEventBridgeClient(options: AwsClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient(awsClientConfig(options));
}
