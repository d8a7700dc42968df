import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Turns one benchmark run into its report: {@code java Report.java <results.csv> <facts.txt>
 * <profile.md> <report.md> <chart-data-prefix> <chart.png name> [notes.md]}. Writes the markdown
 * report and the chart's data files, and prints the summary tables. Only what was measured: a
 * number that is missing from the inputs is shown as "–".
 */
public class Report {

  record Config(String id, String label) {}

  static final List<Config> CONFIGS =
      List.of(
          new Config("direct", "direct to the backend"),
          new Config("nginx", "nginx proxy_pass"),
          new Config("tomcat-apilink", "Tomcat 11 + ApiLink"),
          new Config("jetty-apilink", "Jetty 12 + ApiLink"),
          new Config("tomcat-jetty-proxy", "Tomcat 11 + Jetty AsyncProxyServlet"),
          new Config("tomcat-mitre", "Tomcat 11 + mitre ProxyServlet"));
  static final List<String> PEERS = List.of("tomcat-jetty-proxy", "tomcat-mitre");
  static final List<String> BODIES = List.of("1k", "256k");
  static final List<Integer> CONNECTIONS = List.of(32, 256);

  record Run(int round, String config, String body, int connections, double rps, double p50, double p99,
      long non2xx, long errors) {}

  record Cell(String body, int connections) {
    String label() {
      return (body.equals("1k") ? "1 KiB" : "256 KiB") + " × " + connections;
    }
  }

  /** The medians of one configuration in one cell. */
  record Stats(double rps, double p50, double p99, int rounds, double rpsMin, double rpsMax) {}

  final List<Run> runs = new ArrayList<>();
  final Map<String, String> facts = new LinkedHashMap<>();
  final StringBuilder md = new StringBuilder();

  public static void main(String[] args) throws IOException {
    Report report = new Report();
    report.read(Path.of(args[0]), Path.of(args[1]));
    Path profile = Path.of(args[2]);
    String notes = args.length > 6 && Files.exists(Path.of(args[6])) ? Files.readString(Path.of(args[6])) : null;
    report.write(
        Files.exists(profile) ? Files.readString(profile) : null, args[5], Path.of(args[0]).getFileName().toString(), notes);
    Files.writeString(Path.of(args[3]), report.md);
    Files.writeString(
        Path.of(args[3].replaceAll("\\.md$", ".readme.md")),
        report.readmeSnippet(Path.of(args[3]).getFileName().toString()));
    report.chartData(args[4]);
    System.out.print(report.summary());
  }

  void read(Path csv, Path factsFile) throws IOException {
    for (String line : Files.readAllLines(csv)) {
      String[] f = line.split(",");
      if (f.length < 9 || f[0].equals("round")) {
        continue;
      }
      runs.add(
          new Run(Integer.parseInt(f[0]), f[1], f[2], Integer.parseInt(f[3]), Double.parseDouble(f[4]),
              Double.parseDouble(f[5]), Double.parseDouble(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8])));
    }
    for (String line : Files.readAllLines(factsFile)) {
      int equals = line.indexOf('=');
      if (equals > 0) {
        facts.put(line.substring(0, equals), line.substring(equals + 1));
      }
    }
  }

  Stats stats(String config, Cell cell) {
    List<Run> cellRuns =
        runs.stream()
            .filter(r -> r.config.equals(config) && r.body.equals(cell.body) && r.connections == cell.connections)
            .toList();
    if (cellRuns.isEmpty()) {
      return null;
    }
    return new Stats(
        median(cellRuns, Run::rps), median(cellRuns, Run::p50), median(cellRuns, Run::p99), cellRuns.size(),
        cellRuns.stream().mapToDouble(Run::rps).min().orElse(0),
        cellRuns.stream().mapToDouble(Run::rps).max().orElse(0));
  }

  static double median(List<Run> runs, ToDoubleFunction<Run> value) {
    double[] values = runs.stream().mapToDouble(value).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  static List<Cell> cells() {
    List<Cell> cells = new ArrayList<>();
    for (String body : BODIES) {
      for (int connections : CONNECTIONS) {
        cells.add(new Cell(body, connections));
      }
    }
    return cells;
  }

  String fact(String key) {
    return facts.getOrDefault(key, "–");
  }

  boolean quick() {
    return "quick".equals(facts.get("mode"));
  }

  // ---- the report ----

  void write(String profile, String chartName, String csvName, String notes) {
    String mode = quick() ? "quick mode" : "full run";
    line("# ApiLink benchmark, " + fact("date") + " (" + mode + ")");
    line("");
    if (quick()) {
      line("> **Quick mode**: " + fact("rounds") + " round × " + fact("duration") + " s per cell after a warm-up of the Java configurations of "
          + fact("warmup") + "; " + fact("stream_mib") + " MiB streamed through Tomcat only; the concurrency run on"
          + " Tomcat + ApiLink only; " + thousands(Double.parseDouble(fact("token_target"))) + " requests for the token"
          + " cost. Indicative only: the full run (`bench/run.sh`) takes 3 rounds × 10 s per cell, streams 2 GiB"
          + " through Tomcat and Jetty, runs the concurrency test on all four Java configurations and the token"
          + " cost over 100,000 requests.");
      line("");
    }
    machine();
    method();
    throughput(chartName, csvName);
    targets();
    streaming();
    concurrency();
    token();
    if (profile != null || notes != null) {
      line("## Profile: where ApiLink's time goes");
      line("");
      if (profile != null) {
        line("JFR (`settings=profile`) on Tomcat + ApiLink under `wrk -t2 -c32`, 1 KiB, after the rounds above ("
            + fact("profile_rps") + " req/s while recording). Shares of CPU samples and of sampled allocation:");
        line("");
        md.append(profile.strip()).append("\n\n");
      }
      if (notes != null) {
        md.append(notes.strip()).append("\n\n");
      }
    }
  }

  void machine() {
    line("## Machine and versions");
    line("");
    line("| | |");
    line("|---|---|");
    line("| CPU | " + fact("cpu") + ", " + fact("nproc") + " cores (`nproc`) |");
    line("| memory | " + fact("memory") + " |");
    line("| OS, kernel | " + fact("os") + ", " + fact("kernel") + " |");
    line("| JDK | " + fact("jdk") + " |");
    line("| nginx, wrk | " + fact("nginx") + " (Debian), wrk " + fact("wrk") + " (Debian) |");
    line("| Tomcat | " + fact("tomcat") + " (Maven Central distribution) |");
    line("| Jetty | " + fact("jetty") + " (`jetty-home`, ee11); Jetty client in ApiLink and Jetty's proxy: "
        + fact("jetty_client") + " |");
    line("| ApiLink | " + fact("apilink") + " at " + fact("apilink_commit") + ", the sample WAR with the drop-in JAR |");
    line("| peers | `org.mitre.dsmiley.httpproxy:smiley-http-proxy-servlet:2.0` (HttpClient 4.5.14), "
        + "`org.eclipse.jetty.ee10:jetty-ee10-proxy:" + fact("jetty_client") + "` |");
    line("| load average (1, 5, 15 min) | before the run " + fact("load_start") + "; after the throughput runs "
        + fact("load_after_throughput") + "; at the end " + fact("load_end") + " |");
    line("| run time | " + fact("run_seconds") + " s |");
    line("| other processes | " + othersCpu() + " |");
    line("");
  }

  /** How busy the machine was with processes outside the run while the throughput was measured. */
  String othersCpu() {
    try {
      double others = Double.parseDouble(facts.get("others_cpu_throughput_seconds"));
      double available = Double.parseDouble(facts.get("throughput_seconds")) * Double.parseDouble(facts.get("nproc"));
      return String.format(Locale.ROOT, "%.0f CPU-seconds used outside the benchmark during the throughput runs"
          + " (%.1f%% of the machine)%s; %s CPU-seconds over the whole run", others, 100 * others / available,
          100 * others / available > 5 ? ": **the numbers are disturbed**" : "", fact("others_cpu_seconds"));
    } catch (RuntimeException e) {
      return "–";
    }
  }

  void method() {
    line("## Method");
    line("");
    line("- Everything on one machine, on loopback, as separate processes; nothing pinned to a core. One nginx"
        + " (`worker_processes auto`, no access log) is the backend of every configuration, serving fixed random"
        + " bodies of 1 KiB and 256 KiB; it is ApiLink's \"gateway\" too (it ignores the key and the token).");
    line("- Configurations: **direct** (wrk to the backend); **nginx** `proxy_pass` with `keepalive 256` to the"
        + " upstream, HTTP/1.1, otherwise nginx's defaults; **Tomcat 11 + ApiLink** (the sample WAR: drop-in JAR,"
        + " `apilink.json` from the environment, subscription key and token on, generated signing key, 300 s"
        + " tokens); **Jetty 12 + ApiLink** (same WAR, ee11); **Tomcat 11 + Jetty `AsyncProxyServlet.Transparent`**"
        + " (async-supported, `maxThreads` 200, `maxConnections` 1024); **Tomcat 11 + mitre `ProxyServlet`**"
        + " (`useSystemProperties` false so that `http.maxConnections` 1024 applies; its default allows 5"
        + " backend connections).");
    line("- Containers: fresh `CATALINA_BASE` / `jetty.base` each; Tomcat's NIO connector with its defaults"
        + " (`maxThreads` 200, `maxKeepAliveRequests` 100), the access-log valve removed; Jetty's defaults. Same JVM"
        + " flags for every Java container: `" + fact("jvm_flags") + "` (plus what `catalina.sh` adds).");
    line("- Load: `wrk -t2 -c32|256 -d" + fact("duration") + "s --latency`, new connections each run. A warm-up of "
        + fact("warmup") + " first (excluded), then " + fact("rounds")
        + " round(s); in each round every cell runs every configuration back to back, the order rotated by one"
        + " configuration per round, so machine drift hits all alike. Tables show the median per cell"
        + (quick() ? "." : " over the rounds (req/s range in brackets)."));
    List<String> warmed = new ArrayList<>();
    for (Map.Entry<String, String> warm : facts.entrySet()) {
      if (warm.getKey().startsWith("warmup_")) {
        warmed.add(label(warm.getKey().substring("warmup_".length())) + " " + warm.getValue());
      }
    }
    if (!warmed.isEmpty()) {
      line("- Warm-up taken per Java configuration: " + String.join("; ", warmed) + ".");
    }
    line("- " + fact("headers_check") + ".");
    line("");
  }

  void throughput(String chartName, String csvName) {
    line("## Throughput and latency");
    line("");
    line("Requests per second (median" + (quick() ? "" : " of " + fact("rounds") + " rounds, min–max") + "):");
    line("");
    line(rpsTable(!quick()));
    line("Latency p50 / p99 in ms (median):");
    line("");
    line(latencyTable());
    List<String> problems = new ArrayList<>();
    for (Run run : runs) {
      if (run.non2xx > 0 || run.errors > 0 || run.rps == 0) {
        problems.add(label(run.config) + ", " + new Cell(run.body, run.connections).label() + ", round " + run.round
            + ": " + run.non2xx + " non-2xx responses, " + run.errors + " socket errors");
      }
    }
    if (problems.isEmpty()) {
      line("Every response in every run was a 2xx; wrk reported no socket errors.");
    } else {
      line("Runs with errors (their numbers are in the tables all the same):");
      line("");
      problems.forEach(p -> line("- " + p));
    }
    line("");
    line("![Throughput and p50/p99 latency per configuration](" + chartName + ")");
    line("");
    line("Every run: [`" + csvName + "`](" + csvName + ").");
    line("");
  }

  String rpsTable(boolean ranges) {
    return table(s -> thousands(s.rps)
        + (ranges && s.rounds > 1 ? " (" + thousands(s.rpsMin) + "–" + thousands(s.rpsMax) + ")" : ""));
  }

  String latencyTable() {
    return table(s -> ms(s.p50) + " / " + ms(s.p99));
  }

  /** One row per configuration, one column per cell, {@code value} of each cell's statistics. */
  String table(java.util.function.Function<Stats, String> value) {
    StringBuilder t = new StringBuilder("| configuration |");
    StringBuilder rule = new StringBuilder("|---|");
    for (Cell cell : cells()) {
      t.append(" ").append(cell.label()).append(" |");
      rule.append("---:|");
    }
    t.append("\n").append(rule).append("\n");
    for (Config config : CONFIGS) {
      t.append("| ").append(config.label).append(" |");
      for (Cell cell : cells()) {
        Stats s = stats(config.id, cell);
        t.append(" ").append(s == null ? "–" : value.apply(s)).append(" |");
      }
      t.append("\n");
    }
    return t.toString();
  }

  /** The best Java peer in a cell: the one with the most requests per second. */
  String bestPeer(Cell cell) {
    String best = null;
    for (String peer : PEERS) {
      Stats s = stats(peer, cell);
      if (s != null && (best == null || s.rps > stats(best, cell).rps)) {
        best = peer;
      }
    }
    return best;
  }

  void targets() {
    Cell anchor = new Cell("1k", 32);
    line("## Against the targets");
    line("");
    line("Targets (1 KiB, 32 connections): ApiLink at least 1.5 × the best Java peer's throughput and at least"
        + " 0.75 × nginx `proxy_pass`'s, with p99 latency at most 2 × nginx's; the same in Jetty.");
    line("");
    String best = bestPeer(anchor);
    Stats nginx = stats("nginx", anchor);
    Stats peer = best == null ? null : stats(best, anchor);
    line("| target | Tomcat 11 + ApiLink | Jetty 12 + ApiLink |");
    line("|---|---:|---:|");
    line("| ≥ 1.5 × best Java peer (" + (best == null ? "–" : label(best) + ", " + thousands(peer.rps) + " req/s")
        + ") | " + verdict("tomcat-apilink", anchor, peer, true, 1.5) + " | "
        + verdict("jetty-apilink", anchor, peer, true, 1.5) + " |");
    line("| ≥ 0.75 × nginx `proxy_pass` (" + (nginx == null ? "–" : thousands(nginx.rps) + " req/s") + ") | "
        + verdict("tomcat-apilink", anchor, nginx, true, 0.75) + " | "
        + verdict("jetty-apilink", anchor, nginx, true, 0.75) + " |");
    line("| p99 ≤ 2 × nginx's (" + (nginx == null ? "–" : ms(nginx.p99) + " ms") + ") | "
        + verdict("tomcat-apilink", anchor, nginx, false, 2) + " | "
        + verdict("jetty-apilink", anchor, nginx, false, 2) + " |");
    line("");
    line("The same ratios in every cell (throughput ratios: higher is better; p99 ratio: lower is better):");
    line("");
    line("| cell | best peer | Tomcat+ApiLink / best peer | Tomcat+ApiLink / nginx | p99 Tomcat+ApiLink / nginx"
        + " | Jetty+ApiLink / best peer | Jetty+ApiLink / nginx | p99 Jetty+ApiLink / nginx |");
    line("|---|---|---:|---:|---:|---:|---:|---:|");
    for (Cell cell : cells()) {
      String b = bestPeer(cell);
      Stats bp = b == null ? null : stats(b, cell);
      Stats n = stats("nginx", cell);
      line("| " + cell.label() + " | " + (b == null ? "–" : label(b)) + " | "
          + ratio("tomcat-apilink", cell, bp, true) + " | " + ratio("tomcat-apilink", cell, n, true) + " | "
          + ratio("tomcat-apilink", cell, n, false) + " | " + ratio("jetty-apilink", cell, bp, true) + " | "
          + ratio("jetty-apilink", cell, n, true) + " | " + ratio("jetty-apilink", cell, n, false) + " |");
    }
    line("");
  }

  String ratio(String config, Cell cell, Stats reference, boolean throughput) {
    Stats s = stats(config, cell);
    if (s == null || reference == null) {
      return "–";
    }
    double r = throughput ? s.rps / reference.rps : s.p99 / reference.p99;
    return String.format(Locale.ROOT, "%.2f", r);
  }

  String verdict(String config, Cell cell, Stats reference, boolean throughput, double bound) {
    Stats s = stats(config, cell);
    if (s == null || reference == null) {
      return "–";
    }
    double r = throughput ? s.rps / reference.rps : s.p99 / reference.p99;
    boolean met = throughput ? r >= bound : r <= bound;
    return String.format(Locale.ROOT, "%.2f × %s", r, met ? "**met**" : "**missed**");
  }

  void streaming() {
    line("## Streaming");
    line("");
    line("A " + fact("stream_mib") + " MiB random file uploaded (`curl -T`, POST) and downloaded (`curl | sha256sum`)"
        + " through ApiLink, the container's heap capped: `" + fact("stream_jvm_flags") + "`; ApiLink's"
        + " `timeoutSeconds` 0 and `maxRequestBodyBytes` 0. The upload's far end (`bench/tools/HashSink.java`"
        + " behind the nginx backend) hashes what it receives; the download is served by the nginx backend."
        + " Peak RSS is the container JVM's `VmHWM` from `/proc/<pid>/status`.");
    line("");
    line("| container | upload: intact | upload time | download: intact | download time | RSS after start-up"
        + " | peak RSS | OutOfMemoryError |");
    line("|---|---|---:|---|---:|---:|---:|---|");
    for (String kind : List.of("tomcat", "jetty")) {
      if (!facts.containsKey(kind + "_stream_up_ok")) {
        continue;
      }
      line("| " + (kind.equals("tomcat") ? "Tomcat 11" : "Jetty 12") + " + ApiLink | "
          + intact(kind + "_stream_up_ok") + " | " + seconds(kind + "_stream_up_seconds") + " | "
          + intact(kind + "_stream_down_ok") + " | " + seconds(kind + "_stream_down_seconds") + " | "
          + mib(fact(kind + "_stream_rss_started_kb")) + " | " + mib(fact(kind + "_stream_rss_peak_kb")) + " | "
          + ("0".equals(fact(kind + "_stream_oom")) ? "none" : "**in the log**") + " |");
    }
    line("");
  }

  String intact(String key) {
    return "yes".equals(facts.get(key)) ? "yes (SHA-256 equal)" : "**no**";
  }

  String seconds(String key) {
    String value = facts.get(key);
    if (value == null) {
      return "–";
    }
    double s = Double.parseDouble(value);
    double mbPerSecond = Double.parseDouble(fact("stream_mib")) * 1.048576 / s;
    return String.format(Locale.ROOT, "%.1f s (%.0f MB/s)", s, mbPerSecond);
  }

  static String mib(String kb) {
    try {
      return String.format(Locale.ROOT, "%.0f MiB", Long.parseLong(kb) / 1024.0);
    } catch (NumberFormatException e) {
      return kb;
    }
  }

  void concurrency() {
    if (!facts.containsKey("burst_configs")) {
      return;
    }
    line("## Concurrency");
    line("");
    line(fact("burst_requests") + " requests at once (`bench/tools/Burst.java`: `java.net.http`, HTTP/1.1, one"
        + " connection each, opened beforehand by as many fast requests) to a backend path that answers after 2 s"
        + " (nginx `echo_sleep`), the container's request threads capped at " + fact("burst_threads")
        + " (Tomcat `maxThreads`, Jetty `jetty.threadPool.maxThreads`); ApiLink's `maxConnections` 4096. A"
        + " proxy that holds a thread per request needs " + fact("burst_requests") + " / " + fact("burst_threads")
        + " × 2 s = " + (Integer.parseInt(fact("burst_requests")) / Integer.parseInt(fact("burst_threads")) * 2)
        + " s; a non-blocking one about 2 s, plus what the machine itself takes to carry the burst: the direct"
        + " row, the client straight to the backend, shows that part. Threads: the container JVM's `Threads` in"
        + " `/proc/<pid>/status`, sampled every 20 ms (for the direct row, the nginx backend's master process).");
    line("");
    line("| configuration | 200 answers | other | until all answered | median answer | JVM threads before → peak |");
    line("|---|---:|---|---:|---:|---:|");
    for (String config : fact("burst_configs").split(" ")) {
      String p = "burst_" + config + "_";
      if (!facts.containsKey(p + "seconds")) {
        continue;
      }
      String other = fact(p + "statuses").replace("200=" + fact(p + "ok"), "").replaceAll("[{}, ]+", " ").trim();
      if (!"0".equals(fact(p + "failures"))) {
        other = (other + " " + fact(p + "failures") + " failed").trim();
      }
      line("| " + label(config) + " | " + fact(p + "ok") + " | " + (other.isEmpty() ? "none" : other) + " | "
          + fact(p + "seconds") + " s | " + fact(p + "p50_seconds") + " s | " + fact(p + "threads_before") + " → "
          + fact(p + "threads_peak") + " |");
    }
    line("");
  }

  void token() {
    if (!facts.containsKey("token_requests")) {
      return;
    }
    line("## Cost of the token");
    line("");
    line("`wrk -c32` through Tomcat + ApiLink to a backend path whose access log records the `Authorization`"
        + " header (`log_format tokens '$http_authorization'`): " + thousands(Double.parseDouble(fact("token_requests")))
        + " requests reached the gateway in " + fact("token_seconds") + " s, " + fact("token_bearer")
        + " of them with a bearer token, and they carried **" + fact("token_distinct") + " distinct token(s)**"
        + " (`sort -u | wc -l`), i.e. " + fact("token_distinct") + " signature(s) per " + thousands(Double.parseDouble(fact("token_requests")))
        + " requests. ApiLink signs a token when the cached one has run four fifths of its lifetime (300 s by"
        + " default: one signature per 240 s of traffic, whatever the request rate); the container had been up "
        + fact("token_uptime") + " s, so earlier tokens had been minted before this window.");
    line("");
  }

  /** The README's "Benchmarks" block: where the report is, and its tables. */
  String readmeSnippet(String reportName) {
    StringBuilder r = new StringBuilder();
    String others = facts.containsKey("others_cpu_throughput_seconds") ? othersCpu() : "–";
    r.append("Latest report: [`bench/results/").append(reportName).append("`](bench/results/").append(reportName)
        .append("), ").append(fact("date")).append(", ").append(quick() ? "**quick mode** (`bench/run.sh --quick`: "
            + fact("rounds") + " round × " + fact("duration") + " s per cell, short warm-up; indicative only)"
            : "full run (" + fact("rounds") + " rounds × " + fact("duration") + " s per cell, medians)")
        .append(", on ").append(fact("cpu")).append(", ").append(fact("nproc")).append(" cores; ")
        .append(others).append(".\n\n");
    r.append("Requests per second (wrk, 1 KiB and 256 KiB bodies, 32 and 256 connections):\n\n");
    r.append(rpsTable(false)).append("\n");
    int start = md.indexOf("| target |");
    int end = md.indexOf("\n\n", start);
    if (start >= 0) {
      r.append("Against the targets (1 KiB, 32 connections):\n\n").append(md, start, end + 1).append("\n");
    }
    List<String> more = new ArrayList<>();
    List<String> streams = new ArrayList<>();
    for (String kind : List.of("tomcat", "jetty")) {
      if (facts.containsKey(kind + "_stream_up_ok")) {
        streams.add((kind.equals("tomcat") ? "Tomcat" : "Jetty") + " + ApiLink "
            + ("yes".equals(facts.get(kind + "_stream_up_ok"))
                && "yes".equals(facts.get(kind + "_stream_down_ok")) ? "both intact" : "**not intact**")
            + ", peak RSS " + mib(fact(kind + "_stream_rss_peak_kb")));
      }
    }
    if (!streams.isEmpty()) {
      more.add(fact("stream_mib") + " MiB up and down with `-Xmx64m`: " + String.join("; ", streams));
    }
    List<String> bursts = new ArrayList<>();
    for (String config : fact("burst_configs").split(" ")) {
      String p = "burst_" + config + "_";
      if (facts.containsKey(p + "seconds")) {
        bursts.add(label(config) + " " + fact(p + "ok") + " in " + fact(p + "seconds") + " s");
      }
    }
    if (!bursts.isEmpty()) {
      more.add(fact("burst_requests") + " requests at once, backend answering after 2 s, "
          + fact("burst_threads") + " request threads per container; answered 200: " + String.join("; ", bursts));
    }
    if (facts.containsKey("token_requests")) {
      more.add(fact("token_distinct") + " token signature(s) in " + thousands(Double.parseDouble(fact("token_requests")))
          + " requests");
    }
    more.forEach(m -> r.append("- ").append(m).append("\n"));
    return r.toString();
  }

  // ---- the chart's data and the terminal summary ----

  void chartData(String prefix) throws IOException {
    for (String body : BODIES) {
      for (String metric : List.of("rps", "p50", "p99")) {
        StringBuilder data = new StringBuilder("configuration");
        for (int c : CONNECTIONS) {
          data.append(" \"").append(c).append(" connections\"");
        }
        data.append("\n");
        for (Config config : CONFIGS) {
          data.append('"').append(config.label.replace("Tomcat 11 + ", "Tomcat+").replace("Jetty 12 + ", "Jetty+")
              .replace("nginx proxy_pass", "nginx proxy").replace("direct to the backend", "direct"))
              .append('"');
          for (int c : CONNECTIONS) {
            Stats s = stats(config.id, new Cell(body, c));
            double v = s == null ? 0 : metric.equals("rps") ? s.rps : metric.equals("p50") ? s.p50 : s.p99;
            data.append(' ').append(String.format(Locale.ROOT, "%.3f", v));
          }
          data.append("\n");
        }
        Files.writeString(Path.of(prefix + "-" + metric + "-" + body + ".dat"), data);
      }
    }
  }

  String summary() {
    StringBuilder s = new StringBuilder("\nRequests per second (median):\n");
    s.append(plain(rpsTable(false)));
    s.append("\nLatency p50 / p99 ms (median):\n").append(plain(latencyTable()));
    int start = md.indexOf("| target |");
    int end = md.indexOf("\n\n", start);
    if (start >= 0) {
      s.append("\nTargets (1 KiB, 32 connections):\n").append(plain(md.substring(start, end + 1)));
    }
    return s.toString();
  }

  /** A markdown table as aligned plain text. */
  static String plain(String table) {
    List<String[]> rows = new ArrayList<>();
    for (String line : table.strip().split("\n")) {
      if (line.startsWith("|---")) {
        continue;
      }
      String[] cells = line.substring(1, line.length() - 1).split("\\|");
      for (int i = 0; i < cells.length; i++) {
        cells[i] = cells[i].trim().replace("**", "").replace("`", "");
      }
      rows.add(cells);
    }
    int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      out.append("  ");
      for (int i = 0; i < row.length; i++) {
        String format = i == 0 ? "%-" + width[i] + "s" : "  %" + width[i] + "s";
        out.append(String.format(format, row[i]));
      }
      out.append("\n");
    }
    return out.toString();
  }

  static String label(String id) {
    return CONFIGS.stream().filter(c -> c.id.equals(id)).map(Config::label).findFirst().orElse(id);
  }

  static String thousands(double value) {
    return String.format(Locale.ROOT, "%,d", Math.round(value));
  }

  static String ms(double value) {
    return String.format(Locale.ROOT, value < 10 ? "%.2f" : "%.1f", value);
  }

  void line(String text) {
    md.append(text).append("\n");
  }
}
