import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The concurrency benchmark's client: fires {@code n} GET requests at once (HTTP/1.1, one
 * connection each) and reports how long until every one has answered, the status codes, and the
 * peak thread count of the server process while they were in flight.
 *
 * <p>{@code java Burst.java <warm-url> <url> <n> <server-pid>}: first {@code n} requests to {@code
 * warm-url} open the connections (not timed: a listen backlog of 100 would otherwise add SYN
 * retransmits to the measurement), then {@code n} requests to {@code url} on those connections.
 * Prints key=value lines.
 */
public class Burst {
  public static void main(String[] args) throws Exception {
    URI warm = URI.create(args[0]);
    URI url = URI.create(args[1]);
    int n = Integer.parseInt(args[2]);
    long pid = Long.parseLong(args[3]);

    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .executor(Executors.newFixedThreadPool(4))
            .build();

    Result warmUp = fire(client, warm, n, pid);
    System.out.println("warm_seconds=" + String.format("%.2f", warmUp.seconds));
    System.out.println("warm_ok=" + warmUp.statuses.getOrDefault(200, 0));
    int threadsBefore = threads(pid);
    Result burst = fire(client, url, n, pid);
    System.out.println("requests=" + n);
    System.out.println("seconds=" + String.format("%.2f", burst.seconds));
    System.out.println("p50_seconds=" + String.format("%.2f", burst.percentile(50)));
    System.out.println("ok=" + burst.statuses.getOrDefault(200, 0));
    System.out.println("statuses=" + burst.statuses);
    System.out.println("failures=" + burst.failures);
    System.out.println("threads_before=" + threadsBefore);
    System.out.println("threads_peak=" + burst.peakThreads);
    System.exit(0);
  }

  record Result(
      double seconds, double[] answeredAt, Map<Integer, Integer> statuses, int failures, int peakThreads) {
    double percentile(int p) {
      double[] sorted = answeredAt.clone();
      Arrays.sort(sorted);
      return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
  }

  static Result fire(HttpClient client, URI uri, int n, long pid) {
    AtomicInteger peak = new AtomicInteger();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(
        () -> peak.accumulateAndGet(threads(pid), Math::max), 0, 20, TimeUnit.MILLISECONDS);
    double[] answeredAt = new double[n];
    Map<Integer, Integer> statuses = new TreeMap<>();
    AtomicInteger failures = new AtomicInteger();
    List<CompletableFuture<?>> all = new ArrayList<>(n);
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      int index = i;
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(300)).build();
      all.add(
          client
              .sendAsync(request, HttpResponse.BodyHandlers.discarding())
              .whenComplete(
                  (response, failure) -> {
                    answeredAt[index] = (System.nanoTime() - start) / 1e9;
                    if (failure != null) {
                      failures.incrementAndGet();
                    } else {
                      synchronized (statuses) {
                        statuses.merge(response.statusCode(), 1, Integer::sum);
                      }
                    }
                  }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .exceptionally(failure -> null)
        .join();
    double seconds = (System.nanoTime() - start) / 1e9;
    sampler.shutdownNow();
    return new Result(seconds, answeredAt, statuses, failures.get(), peak.get());
  }

  static int threads(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("Threads:")) {
          return Integer.parseInt(line.substring(8).trim());
        }
      }
    } catch (Exception e) {
      // the process is gone
    }
    return -1;
  }
}
