package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {

  @TempDir Path dir;

  @Test
  void aFileTruncatedThenRewrittenIsReadOnceWhole() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher.Reload onChange = readsInto(read, file);
    // Events only (no periodic check within the test); each step below waits until the watcher
    // waits for quiet, so the steps land during that wait whatever the machine's speed.
    try (ConfigWatcher watcher =
        ConfigWatcher.start(Set.of(file), onChange, 600_000, 1_000, "watcher-test")) {
      Semaphore waiting = new Semaphore(0);
      watcher.beforeQuietWait = waiting::release;
      // As a reviewer did: ": > apilink.json; sleep 0.1; echo "$good" > apilink.json", the rewrite
      // opening the file truncating (an event without a change) before writing. The truncating
      // open's event used to end the wait, and the empty file was read.
      Files.writeString(file, "");
      assertTrue(waiting.tryAcquire(30, TimeUnit.SECONDS), "the watcher noticed the change");
      Files.newByteChannel(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
          .close();
      assertTrue(
          waiting.tryAcquire(10, TimeUnit.SECONDS), "the watcher waits on after the empty event");
      Files.writeString(file, "{\"version\": 2}");

      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
      // Nothing else was read: no empty version before it (a later one would show here).
      assertEquals(null, read.poll(2, TimeUnit.SECONDS));
    }
  }

  @Test
  void aReloadThatFailsWithAnErrorLeavesTheWatcherWatchingAndIsTriedAgain() throws Exception {
    // With no file descriptor left, a class ApiLink had not yet loaded could not be read from its
    // JAR (review D, Tomcat 11.0.24): a NoClassDefFoundError, or an OutOfMemoryError when no thread
    // can be made, ended the watcher's thread, and no later change was ever applied. Then the
    // change whose reload failed was dropped until the files changed again.
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher.Reload reads = readsInto(read, file);
    List<Error> failures =
        new CopyOnWriteArrayList<>(
            List.of(
                new NoClassDefFoundError("dev/apilink/Example"),
                new OutOfMemoryError("unable to create native thread")));
    ConfigWatcher.Reload onChange =
        () -> {
          if (!failures.isEmpty()) {
            read.add("failed");
            throw failures.remove(0);
          }
          reads.run();
        };
    // The SEVERE lines with their stacks are expected here: kept from the console, and read.
    List<String> severe = new CopyOnWriteArrayList<>();
    Handler handler = collecting(Level.SEVERE, severe);
    Logger log = Logger.getLogger("dev.apilink.config");
    boolean parentHandlers = log.getUseParentHandlers();
    log.setUseParentHandlers(false);
    log.addHandler(handler);
    try (ConfigWatcher watcher =
        ConfigWatcher.start(
            Map.of(file, ConfigWatcher.version(file)),
            onChange,
            600_000,
            "watcher-error-test",
            "the web application at /shop")) {
      // One change; the attempts after the failures come without another.
      Files.writeString(file, "{\"version\": 2}");
      assertEquals("failed", read.poll(30, TimeUnit.SECONDS));
      assertEquals("failed", read.poll(30, TimeUnit.SECONDS));
      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
    } finally {
      log.removeHandler(handler);
      log.setUseParentHandlers(parentHandlers);
    }
    // Several web applications share the container's log: the line names whose change failed.
    // Two different failures: each is logged.
    assertEquals(
        List.of(
            "ApiLink: applying the changed configuration failed for the web application at /shop,"
                + " which keeps the configuration in force; it is tried again in 1 s",
            "ApiLink: applying the changed configuration failed for the web application at /shop,"
                + " which keeps the configuration in force; it is tried again in 2 s"),
        severe);
  }

  @Test
  void aReloadThatFailsAgainTheSameWayIsLoggedOnceAndTriedAgainLater() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher.Reload reads = readsInto(read, file);
    java.util.concurrent.atomic.AtomicInteger failuresLeft =
        new java.util.concurrent.atomic.AtomicInteger(2);
    ConfigWatcher.Reload onChange =
        () -> {
          if (failuresLeft.getAndDecrement() > 0) {
            read.add("failed");
            throw new java.io.IOException("Too many open files");
          }
          reads.run();
        };
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler handler = recording(logged);
    Logger log = Logger.getLogger("dev.apilink.config");
    Level level = log.getLevel();
    boolean parentHandlers = log.getUseParentHandlers();
    log.setLevel(Level.FINE);
    log.setUseParentHandlers(false);
    log.addHandler(handler);
    try (ConfigWatcher watcher =
        ConfigWatcher.start(
            Map.of(file, ConfigWatcher.version(file)),
            onChange,
            600_000,
            "watcher-retry-test",
            "the web application at /shop")) {
      Files.writeString(file, "{\"version\": 2}");
      for (int attempt = 1; attempt <= 2; attempt++) {
        assertEquals("failed", read.poll(30, TimeUnit.SECONDS), "attempt " + attempt);
      }
      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
    } finally {
      log.removeHandler(handler);
      log.setUseParentHandlers(parentHandlers);
      log.setLevel(level);
    }
    assertEquals(
        List.of(
            "SEVERE ApiLink: applying the changed configuration failed for the web application at"
                + " /shop, which keeps the configuration in force; it is tried again in 1 s"
                + " java.io.IOException: Too many open files",
            "FINE ApiLink: applying the changed configuration failed for the web application at"
                + " /shop, which keeps the configuration in force; it is tried again in 2 s"
                + " java.io.IOException: Too many open files"),
        logged.stream()
            .map(r -> r.getLevel() + " " + r.getMessage() + " " + r.getThrown())
            .toList());
  }

  /**
   * The application stops (the filter's destroy() closes the watcher) while a failed change waits
   * to be tried again: the wait ends with close(), and the watcher's thread with it, so no attempt
   * can start a link for an application that has stopped.
   */
  @Test
  void aWatcherClosedWhileAFailedChangeWaitsToBeTriedAgainEndsWithClose() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    Semaphore failed = new Semaphore(0);
    ConfigWatcher.Reload onChange =
        () -> {
          failed.release();
          throw new java.io.IOException("Too many open files");
        };
    // The SEVERE line of the first failure is expected here: kept from the console.
    List<String> severe = new CopyOnWriteArrayList<>();
    Handler handler = collecting(Level.SEVERE, severe);
    Logger log = Logger.getLogger("dev.apilink.config");
    boolean parentHandlers = log.getUseParentHandlers();
    log.setUseParentHandlers(false);
    log.addHandler(handler);
    try {
      ConfigWatcher watcher =
          ConfigWatcher.start(
              Map.of(file, ConfigWatcher.version(file)),
              onChange,
              600_000,
              "watcher-closed-while-waiting-test",
              "the web application at /shop");
      Files.writeString(file, "{\"version\": 2}");
      // Closed during the second wait, of 2 s: longer than close() waits for the thread (1 s).
      assertTrue(failed.tryAcquire(2, 30, TimeUnit.SECONDS), "the change was tried twice");

      watcher.close();

      for (Thread thread : Thread.getAllStackTraces().keySet()) {
        assertFalse(
            thread.getName().equals("watcher-closed-while-waiting-test"),
            thread + " still runs after close()");
      }
    } finally {
      log.removeHandler(handler);
      log.setUseParentHandlers(parentHandlers);
    }
  }

  @Test
  void theWaitBeforeTryingAFailedReloadAgainDoublesUpToAMinute() {
    assertEquals(
        List.of(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 32_000L, 60_000L, 60_000L),
        java.util.stream.IntStream.of(1, 2, 3, 4, 5, 6, 7, 1_000)
            .mapToObj(ConfigWatcher::retryDelayMillis)
            .toList());
  }

  /**
   * A Kubernetes config map or secret: the file is a symbolic link {@code apilink.json ->
   * ..data/apilink.json}, and an update renames a new {@code ..data} link over the old one. The
   * events name {@code ..data}, never the file; yet they bring the change at once, not at the next
   * periodic check (none within this test): reviewers saw updates applied within half a second.
   */
  @Test
  void aKubernetesMountSwappingItsDataLinkIsReadAtOnce() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("config-map"));
    Files.writeString(
        Files.createDirectory(mount.resolve("..2026_11_29_12_00_00.1")).resolve("apilink.json"),
        "{\"version\": 1}");
    Files.createSymbolicLink(mount.resolve("..data"), Path.of("..2026_11_29_12_00_00.1"));
    Path file =
        Files.createSymbolicLink(mount.resolve("apilink.json"), Path.of("..data/apilink.json"));
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    try (ConfigWatcher watcher =
        ConfigWatcher.start(Set.of(file), readsInto(read, file), 600_000, 200, "watcher-test")) {
      Files.writeString(
          Files.createDirectory(mount.resolve("..2026_11_29_12_01_00.2")).resolve("apilink.json"),
          "{\"version\": 2}");
      Path swap =
          Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of("..2026_11_29_12_01_00.2"));
      Files.move(
          swap,
          mount.resolve("..data"),
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);

      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aWriteThatLandsWhileTheReloadReadsTheFilesIsAppliedToo() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher[] watcher = new ConfigWatcher[1];
    ConfigWatcher.Reload reload =
        () -> {
          try {
            // As ConfigLoader does: the file's version, then its content.
            String version = ConfigWatcher.version(file);
            String content = Files.readString(file);
            read.add(content);
            if (content.equals("{\"version\": 2}")) {
              // Another write lands after the reload has read the file, before it asks the
              // watcher to watch the (new) set of files, as ApiLinkFilter.reload does.
              Files.writeString(file, "{\"version\": 3}");
            }
            watcher[0].watch(Map.of(file, version));
          } catch (java.io.IOException e) {
            read.add("unreadable: " + e);
          }
        };
    try (ConfigWatcher started = ConfigWatcher.start(Set.of(file), reload, 500, 200, "test")) {
      watcher[0] = started;
      Files.writeString(file, "{\"version\": 2}");

      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
      // Found by a reviewer: watch() took version 3 for the baseline, and it was never applied.
      assertEquals("{\"version\": 3}", read.poll(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aDirectoryNoWatchedFileIsInAnyMoreIsNoLongerWatched() throws Exception {
    // Each key rotation into a directory of its own (a versioned secret's path) kept the previous
    // directory's inotify watch for as long as the application ran.
    Path config = Files.writeString(dir.resolve("apilink.json"), "{}");
    try (ConfigWatcher watcher =
        ConfigWatcher.start(Set.of(config), () -> {}, 600_000, 200, "watcher-test")) {
      for (int i = 0; i < 50; i++) {
        Path keys =
            Files.writeString(
                Files.createDirectories(dir.resolve("keys-" + i)).resolve("keys.jwk.json"), "{}");
        watcher.watch(
            Map.of(config, ConfigWatcher.version(config), keys, ConfigWatcher.version(keys)));
      }

      assertEquals(2, watcher.watchedDirectories());
    }
  }

  @Test
  void writesToAnotherFileInTheSameDirectoryDoNotDelayAReload() throws Exception {
    // A reviewer's key file lay in a directory with a busy log: every write to the log ended the
    // wait for quiet, so every reload waited for the 5 s limit instead of 200 ms.
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    Path log = Files.writeString(dir.resolve("busy.log"), "");
    BlockingQueue<Long> reloadedAt = new LinkedBlockingQueue<>();
    try (ConfigWatcher watcher =
        ConfigWatcher.start(
            Set.of(file), () -> reloadedAt.add(System.nanoTime()), 600_000, 200, "watcher-test")) {
      // The log is written each time the watcher starts waiting for quiet, so during every wait.
      watcher.beforeQuietWait =
          () -> {
            try {
              Files.writeString(log, "line\n", StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          };
      long written = System.nanoTime();
      Files.writeString(file, "{\"version\": 2}");

      Long at = reloadedAt.poll(30, TimeUnit.SECONDS);
      assertTrue(at != null, "reloaded");
      long millis = TimeUnit.NANOSECONDS.toMillis(at - written);
      // At once, not at the periodic check (600 s): seconds, on a loaded machine too.
      assertTrue(millis < 10_000, "reloaded after " + millis + " ms");
    }
  }

  @Test
  void withoutFileSystemEventsAChangeIsFoundByThePeriodicCheck() throws Exception {
    // Found by a reviewer on Jetty 12.1.12: with the user's inotify instances used up (128 by
    // default, shared by every process of that user, so by the containers of a Kubernetes node
    // that run as one user), the JDK could not make the watch service; ApiLink logged "changes
    // need a restart" once at start-up and never applied a rotated key, nor an unlink.
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher.Reload onChange = readsInto(read, file);
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler handler = collecting(Level.WARNING, warnings);
    Logger logger = Logger.getLogger("dev.apilink.config");
    logger.addHandler(handler);
    try (ConfigWatcher watcher =
        ConfigWatcher.start(
            Map.of(file, ConfigWatcher.version(file)),
            onChange,
            100,
            50,
            "watcher-test",
            "the site",
            () -> {
              // The JDK's words when inotify_init fails with EMFILE.
              throw new java.io.IOException(
                  "User limit of inotify instances reached or too many open files");
            })) {
      Files.writeString(file, "{\"version\": 2}");

      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
    } finally {
      logger.removeHandler(handler);
    }
    // Once, with the line docs/configuration.md quotes for operators to find.
    assertEquals(
        List.of(
            "ApiLink: no file-system events for the configuration's files (User limit of inotify"
                + " instances reached or too many open files); checking them for changes every 100"
                + " ms instead"),
        warnings);
  }

  /**
   * A rewrite (an editor, {@code cat > apilink.json}, a tool that renders the file anew) truncates
   * the file, then writes it whole. Found by a reviewer: when the truncation landed between the
   * reload's taking the file's version and its reading the file, the empty read was refused with
   * the version of the whole file, so that the whole file, back a moment later, was no change, not
   * even to the periodic check: the site kept the previous configuration for good.
   */
  @Test
  void aFileReadWhileARewriteHadTruncatedItIsReadAgainOnceWhole() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), unlinked("first.example"));
    ConfigFiles disk = ConfigFiles.fileSystem(dir, java.util.Optional.empty());
    java.util.concurrent.atomic.AtomicBoolean rewriteDuringNextRead =
        new java.util.concurrent.atomic.AtomicBoolean();
    ConfigFiles rewrittenWhileRead =
        new ConfigFiles() {
          @Override
          public byte[] read(String location) throws java.io.IOException {
            if (!rewriteDuringNextRead.getAndSet(false)) {
              return disk.read(location);
            }
            // The rewrite's truncating open lands just before this read, its write just after.
            byte[] whole = Files.readAllBytes(file);
            Files.write(file, new byte[0]);
            try {
              return disk.read(location);
            } finally {
              Files.write(file, whole);
            }
          }

          @Override
          public java.util.Optional<Path> path(String location) {
            return disk.path(location);
          }
        };
    BlockingQueue<String> loaded = new LinkedBlockingQueue<>();
    // A check every 100 ms as well: the whole file was no change to it either.
    try (ConfigWatcher started = watchedAsTheFilterDoes(rewrittenWhileRead, loaded)) {
      rewriteDuringNextRead.set(true);
      Files.writeString(file, unlinked("second.example"));

      assertEquals("refused: [the file is empty]", loaded.poll(30, TimeUnit.SECONDS));
      assertEquals("second.example", loaded.poll(30, TimeUnit.SECONDS));
    }
  }

  /**
   * With few file descriptors left (review D), the reload's reading of a file can fail while the
   * moment before, its version was taken: the refusal then handed the watcher that version, of the
   * file's whole content, so that the file was no change to it, not even to the periodic check, and
   * the valid change was never applied. A file whose reading failed is now one that could not be
   * read, and the next check finds it readable.
   */
  @Test
  void aFileWhoseReadingFailedAfterItsVersionWasTakenIsReadAgain() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), unlinked("first.example"));
    ConfigFiles disk = ConfigFiles.fileSystem(dir, java.util.Optional.empty());
    java.util.concurrent.atomic.AtomicBoolean failNextRead =
        new java.util.concurrent.atomic.AtomicBoolean();
    ConfigFiles failingOnce =
        new ConfigFiles() {
          @Override
          public byte[] read(String location) throws java.io.IOException {
            if (failNextRead.getAndSet(false)) {
              throw new java.nio.file.FileSystemException(location, null, "Too many open files");
            }
            return disk.read(location);
          }

          @Override
          public java.util.Optional<Path> path(String location) {
            return disk.path(location);
          }
        };
    BlockingQueue<String> loaded = new LinkedBlockingQueue<>();
    try (ConfigWatcher started = watchedAsTheFilterDoes(failingOnce, loaded)) {
      failNextRead.set(true);
      Files.writeString(file, unlinked("second.example"));

      assertEquals(
          "refused: [cannot read the file (FileSystemException: apilink.json: Too many open"
              + " files)]",
          loaded.poll(30, TimeUnit.SECONDS));
      assertEquals("second.example", loaded.poll(10, TimeUnit.SECONDS));
    }
  }

  /**
   * A watcher of {@code apilink.json} read through {@code files}, with a check every 100 ms, that
   * reloads as ApiLinkFilter.reload does: each load's hostname, or its refusal, goes to {@code
   * loaded}, and the watcher is given the files that load read.
   */
  private static ConfigWatcher watchedAsTheFilterDoes(
      ConfigFiles files, BlockingQueue<String> loaded) throws Exception {
    ConfigLoader loader = new ConfigLoader(files, name -> null);
    ConfigWatcher[] watcher = new ConfigWatcher[1];
    ConfigWatcher.Reload reload =
        () -> {
          try {
            SiteConfig site = loader.load("apilink.json", "production");
            loaded.add(site.hostname());
            watcher[0].watch(site.files());
          } catch (ConfigException e) {
            loaded.add("refused: " + e.problems());
            watcher[0].watch(e.files());
          }
        };
    SiteConfig inForce = loader.load("apilink.json", "production");
    // No change is made before this returns: the reload, which reads the field, runs after one.
    watcher[0] = ConfigWatcher.start(inForce.files(), reload, 100, "watcher-test", "the site");
    return watcher[0];
  }

  private static String unlinked(String hostname) {
    return "{\"hostname\": \"" + hostname + "\", \"environments\": {\"production\": {}}}";
  }

  /**
   * Found by a reviewer: the watch on a directory that was deleted and created anew, or renamed
   * away and replaced (a deployment that swaps the whole configuration directory), was kept, so
   * that no event about that directory ever came again, not even after a reload had read the new
   * files: every later change waited for the periodic check.
   */
  @Test
  void aDirectoryDeletedAndCreatedAnewIsWatchedForEventsAgainOnceReloaded() throws Exception {
    assertEventsComeAgainAfterTheDirectoryIsReplaced(
        directory -> {
          Files.delete(directory.resolve("apilink.json"));
          Files.delete(directory);
        });
  }

  @Test
  void aDirectoryRenamedAwayAndReplacedIsWatchedForEventsAgainOnceReloaded() throws Exception {
    assertEventsComeAgainAfterTheDirectoryIsReplaced(
        directory -> Files.move(directory, directory.resolveSibling("config.old")));
  }

  @FunctionalInterface
  private interface Removal {
    void remove(Path directory) throws java.io.IOException;
  }

  /**
   * Replaces the configuration's directory during the first reload (so that the next reload surely
   * reads the new directory's file), then changes the file in the new directory: only an event can
   * tell, as the periodic check comes after the test's deadline.
   */
  private void assertEventsComeAgainAfterTheDirectoryIsReplaced(Removal removal) throws Exception {
    Path directory = Files.createDirectories(dir.resolve("config"));
    Path file = Files.writeString(directory.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher[] watcher = new ConfigWatcher[1];
    ConfigWatcher.Reload reload =
        () -> {
          try {
            // As ApiLinkFilter.reload does: the file's version, its content, then watch().
            String version = ConfigWatcher.version(file);
            String content = Files.readString(file);
            if (content.equals("{\"version\": 2}")) {
              removal.remove(directory);
              Files.createDirectories(directory);
              Files.writeString(file, "{\"version\": 3}");
            }
            read.add(content);
            watcher[0].watch(Map.of(file, version));
          } catch (java.io.IOException e) {
            read.add("unreadable: " + e);
          }
        };
    try (ConfigWatcher started = ConfigWatcher.start(Set.of(file), reload, 600_000, 200, "test")) {
      watcher[0] = started;
      Files.writeString(file, "{\"version\": 2}");
      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
      assertEquals("{\"version\": 3}", read.poll(30, TimeUnit.SECONDS));

      Files.writeString(file, "{\"version\": 4}");

      assertEquals("{\"version\": 4}", read.poll(30, TimeUnit.SECONDS), "an event came");
    }
  }

  @Test
  void noThreadOfTheWatcherBelongsToTheApplicationOnceClosed() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{}");
    ClassLoader application = new java.net.URLClassLoader(new java.net.URL[0]);
    Thread current = Thread.currentThread();
    ClassLoader before = current.getContextClassLoader();
    current.setContextClassLoader(application); // as a container runs the filter's init
    ConfigWatcher watcher;
    try {
      watcher =
          ConfigWatcher.start(
              Map.of(file, ConfigWatcher.version(file)),
              () -> {},
              600_000,
              "watcher-owned-test",
              "the site");
    } finally {
      current.setContextClassLoader(before);
    }

    // The JDK's watch-service thread, which outlives close() for a moment, is not the
    // application's (Tomcat reported it as a thread the application failed to stop).
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().equals("FileSystemWatchService")) {
        assertTrue(thread.getContextClassLoader() != application, thread.toString());
      }
    }
    watcher.close();
    // The watcher's own thread has ended when close() returns.
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      assertTrue(!thread.getName().equals("watcher-owned-test"), thread + " still runs");
    }
  }

  /** A reload that reads {@code file} whole into {@code read}, or says why it could not. */
  private static ConfigWatcher.Reload readsInto(BlockingQueue<String> read, Path file) {
    return () -> {
      try {
        read.add(Files.readString(file));
      } catch (java.io.IOException e) {
        read.add("unreadable: " + e);
      }
    };
  }

  /**
   * A log handler that adds to {@code messages} each record's message at {@code least} or above.
   */
  @Test
  void aPathThatIsAKeyFilesContentIsNotLoggedEvenAtFine() throws Exception {
    // "signingKeyFile": "${file:keys.json}" takes the key set for a path, whose "directory" a
    // refused reload still has the watcher watch: the line that it cannot be watched named it.
    Path content =
        dir.resolve("{\"kty\":\"RSA\",\"d\":\"s3cr3t-key\",\"x5u\":\"https://example.com/k\"}");
    // Every record's message: the directory it named was the message's, and its exception's too.
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler handler = collecting(Level.ALL, logged);
    Logger log = Logger.getLogger("dev.apilink.config");
    Level level = log.getLevel();
    boolean parentHandlers = log.getUseParentHandlers();
    log.setLevel(Level.FINE);
    log.setUseParentHandlers(false);
    log.addHandler(handler);
    try (ConfigWatcher watcher =
        ConfigWatcher.start(
            Map.of(content, "missing"), () -> {}, 600_000, "watcher-secret-test", "the test")) {
      watcher.watch(Map.of(content, "missing"));
    } finally {
      log.removeHandler(handler);
      log.setUseParentHandlers(parentHandlers);
      log.setLevel(level);
    }
    for (String line : logged) {
      assertFalse(line.contains("s3cr3t"), line);
    }
  }

  /** A log handler that adds every record to {@code records}. */
  private static Handler recording(List<LogRecord> records) {
    return new Handler() {
      @Override
      public void publish(LogRecord record) {
        records.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }

  private static Handler collecting(Level least, List<String> messages) {
    return new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= least.intValue()) {
          messages.add(record.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }
}
