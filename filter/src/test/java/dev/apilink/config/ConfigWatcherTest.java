package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {

  @TempDir Path dir;

  @Test
  void aFileTruncatedThenRewrittenIsReadOnceWhole() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    Runnable onChange =
        () -> {
          try {
            read.add(Files.readString(file));
          } catch (java.io.IOException e) {
            read.add("unreadable: " + e);
          }
        };
    // Events only (no periodic check within the test), and a quiet time well above the gap
    // between the two writes below, so that a slow machine does not make the test pass or fail.
    try (ConfigWatcher watcher =
        ConfigWatcher.start(Set.of(file), onChange, 600_000, 1_000, "watcher-test")) {
      // As a reviewer did: ": > apilink.json; sleep 0.1; echo "$good" > apilink.json". The first
      // write's event used to end the wait at the second, and the empty file was read.
      // Each of the two steps of the rewrite (open truncating, then write) is an event of its own;
      // the gaps are the writer's, part of what is tested, not a wait for the watcher.
      Files.writeString(file, "");
      Thread.sleep(100);
      Files.newByteChannel(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
          .close();
      Thread.sleep(100);
      Files.writeString(file, "{\"version\": 2}");

      assertEquals("{\"version\": 2}", read.poll(30, TimeUnit.SECONDS));
      // Nothing else was read: no empty version before it (a later one would show here).
      assertEquals(null, read.poll(2, TimeUnit.SECONDS));
    }
  }

  @Test
  void aWriteThatLandsWhileTheReloadReadsTheFilesIsAppliedToo() throws Exception {
    Path file = Files.writeString(dir.resolve("apilink.json"), "{\"version\": 1}");
    BlockingQueue<String> read = new LinkedBlockingQueue<>();
    ConfigWatcher[] watcher = new ConfigWatcher[1];
    Runnable reload =
        () -> {
          try {
            String content = Files.readString(file);
            read.add(content);
            if (content.equals("{\"version\": 2}")) {
              // Another write lands after the reload has read the file, before it asks the
              // watcher to watch the (new) set of files, as ApiLinkFilter.reload does.
              Files.writeString(file, "{\"version\": 3}");
            }
            watcher[0].watch(Set.of(file));
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
}
