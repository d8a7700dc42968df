package dev.apilink.it;

import dev.apilink.testkit.echo.EchoBackend;
import java.time.Duration;
import java.util.List;

/** What a test checks once a change has retired a link: nothing of it is left. */
final class RetiredLinks {

  private RetiredLinks() {}

  /** ApiLink's threads now, but the configuration watcher's, which outlives a change. */
  static List<Thread> linkThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("apilink-") && !t.getName().endsWith("-watcher"))
        .toList();
  }

  /**
   * Waits until {@code site} has no exchange in flight, none of {@code threads} (those of the
   * retired links) is alive and nothing is connected to {@code gateway}, the last retired link's.
   */
  static void awaitNothingLeft(
      Site site, List<Thread> threads, EchoBackend gateway, String gatewayName, Duration wait)
      throws InterruptedException {
    Await.until(
        "nothing in flight, no thread of a retired link, no connection to " + gatewayName,
        wait,
        () ->
            site.container().apiLinkFilter().exchangesInFlight() == 0
                && threads.stream().noneMatch(Thread::isAlive)
                && gateway.openConnections() == 0,
        () ->
            site.container().apiLinkFilter().exchangesInFlight()
                + " in flight, "
                + threads.stream().filter(Thread::isAlive).map(Thread::getName).toList()
                + " alive, "
                + gateway.openConnections()
                + " open to "
                + gatewayName);
  }
}
