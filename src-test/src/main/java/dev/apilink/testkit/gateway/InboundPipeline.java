package dev.apilink.testkit.gateway;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpFields;

/**
 * Runs a product's inbound policy statements in document order over the request that will go to the
 * backend. Completes with null when the request may go on, else with the error to answer.
 */
final class InboundPipeline {

  private final JwtValidator jwtValidator;

  InboundPipeline(JwtValidator jwtValidator) {
    this.jwtValidator = jwtValidator;
  }

  /**
   * @param headers the headers that will go to the backend; {@code set-header} changes them
   * @param rawQuery the query that will go to the backend
   */
  CompletableFuture<GatewayError> run(Policy policy, HttpFields.Mutable headers, String rawQuery) {
    return run(policy.inbound(), 0, headers, rawQuery);
  }

  private CompletableFuture<GatewayError> run(
      List<Policy.InboundStep> steps, int index, HttpFields.Mutable headers, String rawQuery) {
    for (int i = index; i < steps.size(); i++) {
      Policy.InboundStep step = steps.get(i);
      if (step instanceof SetHeader setHeader) {
        setHeader.apply(headers);
      } else if (step instanceof ValidateJwt validateJwt) {
        int next = i + 1;
        return jwtValidator
            .validate(validateJwt, headers, rawQuery)
            .thenCompose(
                valid ->
                    valid
                        ? run(steps, next, headers, rawQuery)
                        : CompletableFuture.completedFuture(
                            new GatewayError(
                                validateJwt.failedValidationHttpCode(),
                                validateJwt.failedValidationErrorMessage())));
      }
    }
    return CompletableFuture.completedFuture(null);
  }
}
