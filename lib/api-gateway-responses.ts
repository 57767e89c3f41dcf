import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';

/** The API's error code for each error API Gateway answers itself (before or instead of a handler). */
const GATEWAY_ERRORS: ReadonlyArray<[ResponseType, string, string?]> = [
  [ResponseType.UNAUTHORIZED, 'unauthorized'],
  [ResponseType.ACCESS_DENIED, 'forbidden'],
  [ResponseType.INVALID_API_KEY, 'forbidden'],
  [ResponseType.MISSING_AUTHENTICATION_TOKEN, 'not_found', '404'],
  [ResponseType.THROTTLED, 'rate_limited'],
  [ResponseType.QUOTA_EXCEEDED, 'rate_limited'],
  [ResponseType.REQUEST_TOO_LARGE, 'payload_too_large'],
  [ResponseType.DEFAULT_4XX, 'bad_request'],
  [ResponseType.DEFAULT_5XX, 'internal_error'],
];

/** Renders API Gateway's own errors in the service's shape `{"error": {"code", "message"}}`. */
export function addServiceGatewayResponses(restApi: RestApi): void {
  for (const [type, code, statusCode] of GATEWAY_ERRORS) {
    // messageString is already a quoted JSON string; other error fields may contain raw quotes.
    const message = '$context.error.messageString';
    restApi.addGatewayResponse(`GatewayResponse-${type.responseType}`, {
      type,
      statusCode,
      templates: { 'application/json': `{"error":{"code":"${code}","message":${message}}}` },
    });
  }
}
