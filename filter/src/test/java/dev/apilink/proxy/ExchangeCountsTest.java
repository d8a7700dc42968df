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
    for (int status : new int[] {502, 502, 504, 408, 413, 500, 503, -1, 0, 400}) {
      counts.failed(status);
    }

    assertEquals(
        List.of(2L, 2L, 1L, 4L, 2L),
        List.of(
            counts.started(),
            counts.badGateway(),
            counts.gatewayTimeout(),
            counts.otherErrors(),
            counts.brokenOff()));
  }
}
