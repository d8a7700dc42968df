package dev.apilink.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A servlet container running as a child process, started the way operators start it; {@link
 * #close()} stops it and every process it started.
 */
public final class ContainerProcess implements AutoCloseable {

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  /** The lowest port {@link #freePort} chooses. */
  private static final int FIRST_CHOSEN_PORT = 10000;

  private static final Random RANDOM = new Random();

  private final Distribution distribution;
  private final Process process;
  private final ProcessLog log;
  private final Path base;
  private final int port;
  private volatile List<String> startUpLog = List.of();

  ContainerProcess(
      Distribution distribution, Process process, ProcessLog log, Path base, int port) {
    this.distribution = distribution;
    this.process = process;
    this.log = log;
    this.base = base;
    this.port = port;
  }

  /** Starts {@code command} in {@code directory} with exactly {@code environment}. */
  static ContainerProcess launch(
      Distribution distribution,
      List<String> command,
      Path directory,
      Map<String, String> environment,
      Path base,
      int port)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.redirectErrorStream(true);
    Process process = builder.start();
    process.getOutputStream().close();
    ProcessLog log =
        ProcessLog.follow(process.getInputStream(), base.resolve("console.log"), distribution.id());
    return new ContainerProcess(distribution, process, log, base, port);
  }

  /**
   * Waits until the container reports that it has started (every web application deployed and the
   * connector accepting), and keeps what it logged until then as {@link #startUpLog()}.
   */
  ContainerProcess awaitStarted(Predicate<String> startedLine, Duration timeout)
      throws InterruptedException {
    try {
      startUpLog = log.await(startedLine, timeout);
    } catch (IllegalStateException e) {
      close();
      throw e;
    }
    return this;
  }

  public Distribution distribution() {
    return distribution;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The container's base directory (CATALINA_BASE, jetty.base). */
  public Path base() {
    return base;
  }

  /** Everything the container wrote to its console (stdout and stderr). */
  public ProcessLog log() {
    return log;
  }

  /** The lines the container wrote until it reported being started. */
  public List<String> startUpLog() {
    return startUpLog;
  }

  public long pid() {
    return process.pid();
  }

  /** Stops the container (as Ctrl-C does), forcibly if it takes too long, with its children. */
  @Override
  public void close() throws InterruptedException {
    // Children first collected: once the parent is gone they are no longer its descendants.
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.add(0, process.toHandle());
    for (ProcessHandle handle : tree) {
      handle.destroy();
    }
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (ProcessHandle handle : tree) {
      long left = Math.max(0, deadline - System.nanoTime());
      try {
        handle.onExit().get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        handle.destroyForcibly();
      }
    }
    for (ProcessHandle handle : tree) {
      try {
        handle.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("process " + handle.pid() + " does not stop", e);
      }
    }
    log.awaitEnd(Duration.ofSeconds(5));
  }

  /**
   * Everything the container sent on {@code client} until it closed the connection, as ISO-8859-1
   * text; a reset ends it too, keeping what came before.
   */
  public static String readUntilClosed(Socket client) throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    try {
      client.getInputStream().transferTo(received);
    } catch (SocketException e) {
      // closed with a reset: what came before is all there is
    }
    return received.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * A port that was free a moment ago, for a container that must be told its port up front. It is
   * taken outside the kernel's ephemeral range ({@link #ephemeralPorts}), which port 0 and outgoing
   * connections draw from: once, Tomcat could not bind the port chosen (it only logs that, and runs
   * without its connector), and the test's requests were answered 200 where ApiLink refuses with
   * 400, most likely by the echo backend started on port 0 after the choice.
   */
  public static int freePort() throws IOException {
    int[] ephemeral = ephemeralPorts();
    // From 10000 up to the ephemeral range, and above it.
    int below = Math.max(ephemeral[0] - FIRST_CHOSEN_PORT, 0);
    int above = Math.max(65535 - ephemeral[1], 0);
    if (below + above == 0) {
      try (ServerSocket socket = new ServerSocket(0)) {
        return socket.getLocalPort();
      }
    }
    for (int tries = 0; tries < 200; tries++) {
      int pick = RANDOM.nextInt(below + above);
      int port = pick < below ? FIRST_CHOSEN_PORT + pick : ephemeral[1] + 1 + pick - below;
      try (ServerSocket socket = new ServerSocket(port)) {
        return port;
      } catch (BindException taken) {
        // another process has it: try another
      }
    }
    throw new IOException(
        "no free port outside the ephemeral range " + ephemeral[0] + "-" + ephemeral[1]);
  }

  /**
   * The first and last port of the kernel's ephemeral range ({@code
   * /proc/sys/net/ipv4/ip_local_port_range}); Linux's default where that file cannot be read.
   */
  static int[] ephemeralPorts() {
    try {
      String[] range =
          Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
    } catch (IOException | RuntimeException e) {
      return new int[] {32768, 60999};
    }
  }
}
