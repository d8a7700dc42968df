package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway client's own threads. */
class GatewayClientTest {

  /**
   * Tomcat checks a stopped application's threads as soon as it has stopped it, and once reported
   * the client's timer thread as left running ("appears to have started a thread named
   * [apilink-jarrules-scheduler-1] but has failed to stop it"): Jetty's scheduler stopped without
   * waiting for it. Here a timer task is still running when close() is called.
   */
  @Test
  void noTimerThreadOutlivesClose() throws Exception {
    GatewayClient client = GatewayClient.start(LinkTest.backend(), "apilink-client-test");
    CountDownLatch running = new CountDownLatch(1);
    client.schedule(
        () -> {
          running.countDown();
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
          while (System.nanoTime() < end) {
            Thread.onSpinWait(); // a task that does not notice the interrupt of a shutdown
          }
        },
        0);
    assertTrue(running.await(10, TimeUnit.SECONDS));

    client.close();

    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      assertTrue(
          !thread.getName().startsWith("apilink-client-test-scheduler"), thread + " still runs");
    }
  }
}
