import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of a container under load, as markdown: where the CPU samples fall
 * (top of stack; by component; ApiLink's own methods, inclusive) and what is allocated (by class;
 * by the innermost ApiLink method on the stack). {@code java JfrSummary.java <file.jfr>}.
 *
 * <p>{@code java JfrSummary.java --allocated <file.jfr>} prints only the bytes the JVM's threads
 * allocated between the recording's first and last {@code jdk.ThreadAllocationStatistics} (exact
 * per-thread counters, unlike the sampled estimate).
 */
public class JfrSummary {
  public static void main(String[] args) throws Exception {
    if (args[0].equals("--allocated")) {
      System.out.println(allocated(RecordingFile.readAllEvents(Path.of(args[1]))));
      return;
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(args[0]));
    Map<String, Long> top = new HashMap<>();
    Map<String, Long> components = new HashMap<>();
    Map<String, Long> apilinkInclusive = new HashMap<>();
    Map<String, Long> allocatedByClass = new HashMap<>();
    Map<String, Long> allocatedByApiLink = new HashMap<>();
    long samples = 0;
    long allocated = 0;
    for (RecordedEvent event : events) {
      String type = event.getEventType().getName();
      if (type.equals("jdk.ExecutionSample") && event.getStackTrace() != null) {
        List<RecordedFrame> frames = event.getStackTrace().getFrames();
        if (frames.isEmpty()) {
          continue;
        }
        samples++;
        top.merge(name(frames.get(0).getMethod()), 1L, Long::sum);
        components.merge(component(frames), 1L, Long::sum);
        Set<String> seen = new HashSet<>();
        for (RecordedFrame frame : frames) {
          String method = name(frame.getMethod());
          if (method.startsWith("dev.apilink.") && !method.startsWith("dev.apilink.shaded.")) {
            if (seen.add(method)) {
              apilinkInclusive.merge(method, 1L, Long::sum);
            }
          }
        }
      } else if (type.equals("jdk.ObjectAllocationSample")) {
        long weight = event.getLong("weight");
        allocated += weight;
        String objectClass = event.getClass("objectClass").getName();
        allocatedByClass.merge(objectClass, weight, Long::sum);
        String site = "(no ApiLink frame)";
        if (event.getStackTrace() != null) {
          for (RecordedFrame frame : event.getStackTrace().getFrames()) {
            String method = name(frame.getMethod());
            if (method.startsWith("dev.apilink.") && !method.startsWith("dev.apilink.shaded.")) {
              site = method;
              break;
            }
          }
        }
        allocatedByApiLink.merge(site, weight, Long::sum);
      }
    }
    System.out.println("CPU samples: " + samples + "\n");
    print("Where the samples fall (innermost frame's component)", components, samples, 12);
    print("Hottest methods (top of stack)", top, samples, 20);
    print("ApiLink's methods (inclusive: on the stack)", apilinkInclusive, samples, 20);
    System.out.println("Allocated (sampled estimate): " + allocated / (1024 * 1024) + " MiB\n");
    print("Allocation by class", allocatedByClass, allocated, 15);
    print("Allocation by innermost ApiLink method", allocatedByApiLink, allocated, 15);
  }

  /** Per thread, the last counter minus the first (threads started during the recording count 0). */
  static long allocated(List<RecordedEvent> events) {
    Map<Long, long[]> firstAndLast = new HashMap<>();
    events.stream()
        .filter(e -> e.getEventType().getName().equals("jdk.ThreadAllocationStatistics"))
        .sorted(Comparator.comparing(RecordedEvent::getStartTime))
        .forEach(
            e -> {
              long thread = e.getThread("thread") == null ? -1 : e.getThread("thread").getJavaThreadId();
              long value = e.getLong("allocated");
              firstAndLast.computeIfAbsent(thread, t -> new long[] {value, value})[1] = value;
            });
    long total = 0;
    for (long[] values : firstAndLast.values()) {
      total += values[1] - values[0];
    }
    return total;
  }

  static String name(RecordedMethod method) {
    return method == null ? "?" : method.getType().getName() + "." + method.getName();
  }

  /** The component of the innermost frame that is not the JDK's, or "JDK". */
  static String component(List<RecordedFrame> frames) {
    for (RecordedFrame frame : frames) {
      String method = name(frame.getMethod());
      if (method.startsWith("dev.apilink.shaded.org.eclipse.jetty.")) {
        return "Jetty client (in ApiLink)";
      }
      if (method.startsWith("dev.apilink.shaded.")) {
        return "other shaded libraries (in ApiLink)";
      }
      if (method.startsWith("dev.apilink.")) {
        return "ApiLink";
      }
      if (method.startsWith("org.apache.")) {
        return "Tomcat";
      }
      if (method.startsWith("org.eclipse.jetty.")) {
        return "Jetty";
      }
    }
    String innermost = name(frames.get(0).getMethod());
    return innermost.startsWith("sun.nio.") || innermost.startsWith("java.nio.")
        ? "JDK (NIO)"
        : "JDK (other)";
  }

  static void print(String title, Map<String, Long> counts, long total, int limit) {
    System.out.println("| " + title + " | share |");
    System.out.println("|---|---:|");
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(limit)
        .forEach(
            e ->
                System.out.printf(
                    "| `%s` | %.1f%% |%n", e.getKey(), total == 0 ? 0 : 100.0 * e.getValue() / total));
    System.out.println();
  }
}
