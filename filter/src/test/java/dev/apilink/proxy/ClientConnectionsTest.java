package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClientConnectionsTest {

  @Test
  void aConnectionTakesExchangesUpToItsLimitAndMoreOnlyAsTheyEnd() {
    ClientConnections connections = new ClientConnections();

    assertTrue(connections.enter("a", 2));
    assertTrue(connections.enter("a", 2));
    assertFalse(connections.enter("a", 2));
    assertTrue(connections.enter("b", 2), "another connection has its own count");
    connections.leave("a");
    assertTrue(connections.enter("a", 2));
    assertFalse(connections.enter("a", 2));
  }

  @Test
  void aConnectionIsForgottenWhenItsLastExchangeEnds() {
    ClientConnections connections = new ClientConnections();
    connections.enter("a", 5);
    connections.enter("a", 5);
    connections.enter("b", 5);
    assertEquals(2, connections.connections());

    connections.leave("a");
    connections.leave("b");
    assertEquals(1, connections.connections());
    connections.leave("a");
    assertEquals(0, connections.connections());
  }

  @Test
  void threadsEnteringAtOnceNeverPassTheLimitTogether() throws Exception {
    ClientConnections connections = new ClientConnections();
    int threads = 8;
    int limit = 3;
    AtomicInteger entered = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger overLimit = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < 20_000; i++) {
                  if (connections.enter("h2", limit)) {
                    int now = entered.incrementAndGet();
                    most.accumulateAndGet(now, Math::max);
                    if (now > limit) {
                      overLimit.incrementAndGet();
                    }
                    entered.decrementAndGet();
                    connections.leave("h2");
                  }
                }
              });
      thread.start();
      started.add(thread);
    }
    go.countDown();
    for (Thread thread : started) {
      thread.join();
    }

    assertEquals(0, overLimit.get(), "most at once: " + most.get());
    assertEquals(0, connections.connections());
  }
}
