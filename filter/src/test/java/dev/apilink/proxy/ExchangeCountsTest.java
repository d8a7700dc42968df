package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExchangeCountsTest {

  @Test
  void eachEndingIsCountedUnderItsKind() {
    ExchangeCounts counts = new ExchangeCounts();
    counts.start();
    counts.start();
    for (int status : new int[] {502, 502, 504, 408, 413, 429, 500, 503, -1, 0, 400}) {
      counts.failed(status);
    }

    assertEquals(
        List.of(2L, 2L, 1L, 5L, 2L),
        List.of(
            counts.started(),
            counts.badGateway(),
            counts.gatewayTimeout(),
            counts.otherErrors(),
            counts.brokenOff()));
  }

  @Test
  void theGatewaysErrorsPassedOnAreCountedByClassAndItsUnauthorizedApart() {
    ExchangeCounts counts = new ExchangeCounts();
    for (int status : new int[] {200, 204, 304, 399, 400, 401, 401, 404, 429, 499, 500, 503, 599}) {
      counts.passedOn(status);
    }

    assertEquals(
        List.of(2L, 6L, 3L, 0L),
        List.of(
            counts.gatewayUnauthorized(),
            counts.gatewayClientErrors(),
            counts.gatewayServerErrors(),
            counts.otherErrors()));
  }
}
