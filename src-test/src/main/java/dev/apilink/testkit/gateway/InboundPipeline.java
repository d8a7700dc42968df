package dev.apilink.testkit.gateway;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import org.eclipse.jetty.http.HttpFields;

/**
 * Runs a product's inbound policy statements in document order over the request that will go to the
 * backend. Completes with null when the request may go on, else with the error to answer.
 */
final class InboundPipeline {

  private final JwtValidator jwtValidator;
  private final Clock clock;

  /** The current rate-limit period of each caller and statement. */
  private final Map<String, Period> periods = new ConcurrentHashMap<>();

  InboundPipeline(JwtValidator jwtValidator, Clock clock) {
    this.jwtValidator = jwtValidator;
    this.clock = clock;
  }

  /**
   * @param subscriptionId whom {@code rate-limit} counts: the subscription whose key was sent, or
   *     null for a call without a key, which {@code rate-limit} lets through ("only applied when an
   *     API is accessed using a subscription key", Microsoft's rate-limit reference)
   * @param caller who calls, for the log: the subscription, or the product without one
   * @param headers the headers that will go to the backend; {@code set-header} changes them
   * @param rawQuery the query that will go to the backend
   */
  CompletableFuture<GatewayError> run(
      Policy policy,
      String subscriptionId,
      String caller,
      HttpFields.Mutable headers,
      String rawQuery) {
    return run(policy.inbound(), 0, subscriptionId, caller, headers, rawQuery);
  }

  private CompletableFuture<GatewayError> run(
      List<Policy.InboundStep> steps,
      int index,
      String subscriptionId,
      String caller,
      HttpFields.Mutable headers,
      String rawQuery) {
    for (int i = index; i < steps.size(); i++) {
      Policy.InboundStep step = steps.get(i);
      if (step instanceof RateLimit limit) {
        if (subscriptionId == null) {
          continue;
        }
        long retryAfter =
            periods
                .computeIfAbsent(subscriptionId + " " + i + " " + limit, key -> new Period())
                .count(limit, clock.millis());
        if (retryAfter > 0) {
          return CompletableFuture.completedFuture(GatewayError.rateLimited(retryAfter));
        }
      } else if (step instanceof SetHeader setHeader) {
        setHeader.apply(headers);
      } else if (step instanceof ValidateJwt validateJwt) {
        int next = i + 1;
        return jwtValidator
            .refusal(validateJwt, headers, rawQuery)
            .thenCompose(
                refusal -> {
                  if (refusal == null) {
                    return run(steps, next, subscriptionId, caller, headers, rawQuery);
                  }
                  GatewayHandler.LOG.log(
                      Level.FINE,
                      "validate-jwt refused the token ({0}): {1}",
                      new Object[] {caller, refusal});
                  return CompletableFuture.completedFuture(
                      new GatewayError(
                          validateJwt.failedValidationHttpCode(),
                          validateJwt.errorMessage(
                              JwtValidator.token(validateJwt, headers, rawQuery) != null)));
                });
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  /** One caller's calls in the current period of one {@code rate-limit}. */
  private static final class Period {
    private long startMillis;
    private int calls;

    /** Counts a call at {@code nowMillis}: 0 if it is within the limit, else the seconds left. */
    synchronized long count(RateLimit limit, long nowMillis) {
      long lengthMillis = limit.renewalPeriodSeconds() * 1000L;
      if (calls == 0 || nowMillis - startMillis >= lengthMillis) {
        startMillis = nowMillis;
        calls = 0;
      }
      if (calls < limit.calls()) {
        calls++;
        return 0;
      }
      long leftMillis = startMillis + lengthMillis - nowMillis;
      return Math.max(1, (leftMillis + 999) / 1000);
    }
  }
}
