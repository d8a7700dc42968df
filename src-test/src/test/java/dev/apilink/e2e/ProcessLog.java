package dev.apilink.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Everything a child process writes (stdout and stderr merged), kept line by line in memory and in
 * a file, so that a test can wait for a line instead of for time.
 */
public final class ProcessLog {

  private final Path file;
  private final List<String> lines = new ArrayList<>();
  private boolean ended;

  private ProcessLog(Path file) {
    this.file = file;
  }

  /** Starts copying {@code output} to {@code file} on a daemon thread. */
  static ProcessLog follow(InputStream output, Path file, String name) throws IOException {
    ProcessLog log = new ProcessLog(file);
    Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8));
                  writer) {
                for (String line; (line = in.readLine()) != null; ) {
                  writer.write(line);
                  writer.write('\n');
                  writer.flush();
                  log.add(line);
                }
              } catch (IOException e) {
                // the process is gone
              } finally {
                log.end();
              }
            },
            name + "-log");
    reader.setDaemon(true);
    reader.start();
    return log;
  }

  private synchronized void add(String line) {
    lines.add(line);
    notifyAll();
  }

  private synchronized void end() {
    ended = true;
    notifyAll();
  }

  /** The file the lines are copied to. */
  public Path file() {
    return file;
  }

  /** The lines so far. */
  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** The lines so far, joined. */
  public String text() {
    return String.join("\n", lines()) + "\n";
  }

  /**
   * Waits for a line that matches {@code wanted} (looking at every line so far too) and returns the
   * lines up to and including it.
   *
   * @throws IllegalStateException if the output ends or {@code timeout} passes first; the message
   *     holds the output
   */
  public synchronized List<String> await(Predicate<String> wanted, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int seen = 0; ; ) {
      while (seen < lines.size()) {
        if (wanted.test(lines.get(seen++))) {
          return List.copyOf(lines.subList(0, seen));
        }
      }
      long left = deadline - System.nanoTime();
      if (ended || left <= 0) {
        throw new IllegalStateException(
            (ended ? "the process ended" : "nothing after " + timeout)
                + " before the line awaited; its output ("
                + file
                + "):\n"
                + String.join("\n", lines));
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** Waits until the output has ended (the process closed it). */
  synchronized void awaitEnd(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ended) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }
}
