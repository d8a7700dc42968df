package dev.apilink.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Watches the configuration file and every file it references, and calls back once their content
 * has changed and stayed unchanged for a moment (an editor or a deployment tool may write a file in
 * several steps). Change is judged by content, not timestamps: a file rewritten with the same bytes
 * is no change, and a swap through a symbolic link (as Kubernetes mounts do) is one.
 *
 * <p>File-system events make reloads prompt; a check every {@code pollMillis} catches what events
 * miss (network file systems, replaced parent directories), and is all there is when the JDK cannot
 * make a watch service (the user's inotify instances used up).
 *
 * <p>A change whose reload fails (it throws: the new link could not start) is tried again, after 1
 * s, then twice as long each time up to a minute, until a reload succeeds or the files change again
 * (that change is tried at once, and so on); the same failure is logged once for each change, its
 * repeats at FINE.
 */
public final class ConfigWatcher implements AutoCloseable {

  private static final Logger LOG = Loggers.named("dev.apilink.config");
  private static final long SETTLE_MILLIS = 200;
  private static final long SETTLE_LIMIT_MILLIS = 5_000;
  private static final long FIRST_RETRY_MILLIS = 1_000;
  private static final long LAST_RETRY_MILLIS = 60_000;

  private final long settleMillis;

  /** Runs each time the watcher starts waiting for the files to be quiet; for tests. */
  volatile Runnable beforeQuietWait = () -> {};

  /**
   * Applies the files as they are now. It throws when it could not, and the files are to be tried
   * again as they are; a change it refuses (an invalid configuration) returns normally, and waits
   * for the next change.
   */
  @FunctionalInterface
  public interface Reload {
    void run() throws Exception;
  }

  private final Reload onChange;
  private final String site; // names whose configuration this is, in the log
  private final long pollMillis;

  /** Null when none could be made: then only the periodic check finds changes. */
  private final WatchService events;

  private final Thread thread;
  private final Map<Path, Registration> directories = new HashMap<>();

  /**
   * Set when a directory was registered anew: a change made in it before the registration came with
   * no event, so the files are checked at once rather than at the next periodic check.
   */
  private volatile boolean checkAtOnce;

  private volatile Set<Path> files;
  private volatile boolean closed;
  private Map<Path, String> seen;

  // The reloads that failed in a row, the next attempt and the failure last logged; the watcher's
  // thread alone reads and writes them.
  private int failedReloads;
  private long retryAtNanos;
  private String failureLogged;

  /** Opens the watch service that reports file-system events; tests give one that fails. */
  @FunctionalInterface
  interface WatchServices {
    WatchService open() throws IOException;
  }

  private ConfigWatcher(
      Map<Path, String> versions,
      Reload onChange,
      long pollMillis,
      long settleMillis,
      String threadName,
      String site,
      WatchServices watchServices) {
    this.settleMillis = settleMillis;
    this.site = site;
    this.files = Set.copyOf(versions.keySet());
    this.onChange = onChange;
    this.pollMillis = pollMillis;
    this.events = eventsOrNone(watchServices, pollMillis);
    this.seen = new HashMap<>(versions);
    registerDirectories(this.files);
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
  }

  /**
   * Starts watching the files of {@code versions}, each changed once its {@link #version} differs
   * from the one given: the version a configuration was read in ({@link SiteConfig#files}), so that
   * a change made after that read and before the watcher starts is applied too (it used to become
   * the baseline and was never applied, found by a reviewer). {@code onChange} runs on the
   * watcher's own thread.
   *
   * @param pollMillis how often to check even without a file-system event
   * @param threadName the name of the watcher's thread
   * @param site whose configuration this is, as a failure's log line names it ("the web application
   *     at /shop"): several share the container's log
   */
  public static ConfigWatcher start(
      Map<Path, String> versions,
      Reload onChange,
      long pollMillis,
      String threadName,
      String site) {
    return start(
        versions,
        onChange,
        pollMillis,
        SETTLE_MILLIS,
        threadName,
        site,
        ConfigWatcher::newWatchService);
  }

  /**
   * As {@link #start(Map, Reload, long, String, String)}, for files in their version now, with the
   * quiet time before a change is read, the thread's name naming the site.
   */
  static ConfigWatcher start(
      Set<Path> files, Reload onChange, long pollMillis, long settleMillis, String threadName) {
    return start(
        versions(files),
        onChange,
        pollMillis,
        settleMillis,
        threadName,
        threadName,
        ConfigWatcher::newWatchService);
  }

  /**
   * As {@link #start(Map, Reload, long, String, String)}, with the quiet time before a change is
   * read and its watch service from {@code watchServices}.
   */
  static ConfigWatcher start(
      Map<Path, String> versions,
      Reload onChange,
      long pollMillis,
      long settleMillis,
      String threadName,
      String site,
      WatchServices watchServices) {
    ConfigWatcher watcher =
        new ConfigWatcher(
            versions, onChange, pollMillis, settleMillis, threadName, site, watchServices);
    watcher.thread.start();
    return watcher;
  }

  /**
   * Replaces the watched files (a reloaded configuration may reference others) with those of {@code
   * versions}, each with the version the reload read ({@link SiteConfig#files}, {@link
   * ConfigException#files}), not its version now: a write that lands while the reload reads the
   * files is then still a change to apply, where it used to become the baseline and was never
   * applied (found by reviewers: a file already watched, then a file that a refused configuration
   * named and that arrived just after the refusal).
   */
  public synchronized void watch(Map<Path, String> versions) {
    files = Set.copyOf(versions.keySet());
    seen = new HashMap<>(versions);
    registerDirectories(files);
  }

  /** How many directories are registered for file-system events now; for tests. */
  synchronized int watchedDirectories() {
    return directories.size();
  }

  /** A watched directory's key, and the directory it was made for ({@code fileKey}, or null). */
  private record Registration(WatchKey key, Object fileKey) {}

  /**
   * Registers each directory of {@code watched} that is not registered yet, or whose registration
   * no longer watches it: the watch follows the directory it was made for, so that one deleted and
   * created anew (its key cancelled) or renamed away and replaced (its key still valid, about the
   * renamed one) used to report nothing ever again, found by a reviewer.
   */
  private synchronized void registerDirectories(Set<Path> watched) {
    if (events == null) {
      return;
    }
    Set<Path> watchedDirectories = new HashSet<>();
    for (Path file : watched) {
      Path directory = file.toAbsolutePath().getParent();
      if (directory != null) {
        watchedDirectories.add(directory);
      }
    }
    // A directory that no watched file is in any more is watched no more: each key rotation into a
    // directory of its own (a versioned secret's path) kept its inotify watch for as long as the
    // application ran, until the user's max_user_watches were used up (found by review).
    // The JDK hands out one key per directory, whatever path names it (a symbolic link): a key
    // that a directory still watched holds is not cancelled.
    Set<WatchKey> unwatched = new HashSet<>();
    directories
        .entrySet()
        .removeIf(
            registered -> {
              if (watchedDirectories.contains(registered.getKey())) {
                return false;
              }
              unwatched.add(registered.getValue().key());
              return true;
            });
    for (Registration kept : directories.values()) {
      unwatched.remove(kept.key());
    }
    unwatched.forEach(WatchKey::cancel);
    for (Path directory : watchedDirectories) {
      Object fileKey = fileKey(directory);
      Registration registered = directories.get(directory);
      if (registered != null) {
        if (registered.key().isValid() && Objects.equals(registered.fileKey(), fileKey)) {
          continue;
        }
        registered.key().cancel();
        directories.remove(directory);
      }
      if (fileKey == null) {
        // Not there (yet): nothing to watch, the periodic check finds the file when it comes. Not
        // logged: such a "path" may be a file's content given where a path belongs, a private key
        // among them (found by review; the FINE line named it).
        continue;
      }
      try {
        WatchKey key =
            directory.register(
                events,
                StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        directories.put(directory, new Registration(key, fileKey));
        checkAtOnce = true;
      } catch (IOException e) {
        LOG.log(Level.FINE, "ApiLink: cannot watch " + directory + "; checking it periodically", e);
      }
    }
  }

  /** Which directory {@code directory} names now (symbolic links followed), or null. */
  private static Object fileKey(Path directory) {
    try {
      return Files.readAttributes(directory, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  private void run() {
    try {
      while (!closed) {
        if (!checkAtOnce) {
          drain(nextEvents(waitNanos()));
        }
        checkAtOnce = false;
        boolean retry = failedReloads > 0 && System.nanoTime() - retryAtNanos >= 0;
        boolean changed = changed();
        if (!changed && !retry) {
          continue;
        }
        if (changed) {
          // A new change: tried at once, then again 1 s after a failure, which is logged anew.
          failedReloads = 0;
          failureLogged = null;
        }
        settle();
        if (!closed) {
          reload();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    }
  }

  /** How long to wait for events before the next periodic check, or the next attempt. */
  private long waitNanos() {
    long poll = TimeUnit.MILLISECONDS.toNanos(pollMillis);
    if (failedReloads == 0) {
      return poll;
    }
    return Math.max(0, Math.min(poll, retryAtNanos - System.nanoTime()));
  }

  /**
   * Runs {@link #onChange}; if it fails, schedules the next attempt. A failed reload used to drop
   * its change until the files changed again: a link that could not start at that moment (no
   * thread, no file descriptor left) left the previous configuration in force for good.
   */
  private void reload() {
    try {
      onChange.run();
      failedReloads = 0;
      failureLogged = null;
    } catch (Exception | LinkageError | OutOfMemoryError | StackOverflowError e) {
      // An error too: with no file descriptor left a class cannot be loaded from the JAR, with no
      // thread left a link cannot start, and the watcher's thread ended with it, so no later
      // change was applied (review D).
      if (closed) {
        return; // the application is stopping: the reload failed with it, not to be tried again
      }
      failedReloads++;
      long delayMillis = retryDelayMillis(failedReloads);
      retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
      // Logged once while it fails the same way: attempts every minute for a day would otherwise
      // write 1,440 stacks to a log that other web applications share.
      String failure = String.valueOf(e);
      Level level = failure.equals(failureLogged) ? Level.FINE : Level.SEVERE;
      failureLogged = failure;
      LOG.log(
          level,
          "ApiLink: applying the changed configuration failed for "
              + site
              + ", which keeps the configuration in force; it is tried again in "
              + delayMillis / 1000
              + " s",
          e);
    }
  }

  /** How long to wait before trying again after {@code failedReloads} failed reloads in a row. */
  static long retryDelayMillis(int failedReloads) {
    int doublings = Math.min(failedReloads - 1, 6);
    return Math.min(LAST_RETRY_MILLIS, FIRST_RETRY_MILLIS << doublings);
  }

  /**
   * Waits until the files have been quiet, no event and no change, for {@code settleMillis}, so
   * that they are read as a whole: a file truncated and rewritten 100 ms later used to be read
   * empty, as the rewrite's own event ended the wait (found by a reviewer). A file that keeps
   * changing is read after {@link #SETTLE_LIMIT_MILLIS} anyway.
   */
  private void settle() throws InterruptedException {
    long limit = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_LIMIT_MILLIS);
    while (!closed && System.nanoTime() < limit) {
      beforeQuietWait.run();
      boolean quiet = quietFor(settleMillis);
      boolean moved = changed();
      if (quiet && !moved) {
        return;
      }
    }
  }

  /**
   * Whether no event about a watched file comes within {@code millis}. Events about other files in
   * the same directories are drained and ignored: a busy log next to a key file used to end every
   * wait, so that every reload waited for {@link #SETTLE_LIMIT_MILLIS} (found by a reviewer).
   */
  private boolean quietFor(long millis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      WatchKey key = nextEvents(left);
      if (key == null) {
        return true;
      }
      if (drain(key)) {
        return false;
      }
    }
  }

  /**
   * The next file-system events within {@code nanos}, or null; without a watch service, null once
   * {@code nanos} have passed.
   */
  private WatchKey nextEvents(long nanos) throws InterruptedException {
    if (events == null) {
      TimeUnit.NANOSECONDS.sleep(nanos);
      return null;
    }
    return events.poll(nanos, TimeUnit.NANOSECONDS);
  }

  /** Drains {@code key}'s events; returns whether any may concern a watched file. */
  private boolean drain(WatchKey key) {
    if (key == null) {
      return false;
    }
    boolean aboutWatched = false;
    Path directory = key.watchable() instanceof Path watched ? watched : null;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == StandardWatchEventKinds.OVERFLOW
          || directory == null
          || !(event.context() instanceof Path name)
          || watches(directory.resolve(name))) {
        aboutWatched = true;
      }
    }
    key.reset();
    return aboutWatched;
  }

  private boolean watches(Path file) {
    for (Path watched : files) {
      if (watched.toAbsolutePath().equals(file.toAbsolutePath())) {
        return true;
      }
    }
    return false;
  }

  /** Whether any watched file's content differs from when it was last seen; remembers it. */
  private synchronized boolean changed() {
    Map<Path, String> now = versions(files);
    if (now.equals(seen)) {
      return false;
    }
    seen = now;
    return true;
  }

  private static Map<Path, String> versions(Set<Path> files) {
    Map<Path, String> versions = new HashMap<>();
    for (Path file : new HashSet<>(files)) {
      versions.put(file, version(file));
    }
    return versions;
  }

  /**
   * The version of {@code file} now, by its content (a digest), or that it is missing or cannot be
   * read.
   */
  static String version(Path file) {
    try {
      return version(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return "missing";
    } catch (IOException e) {
      return unreadable(e);
    }
  }

  /** The version of a file whose reading failed with {@code e}. */
  static String unreadable(IOException e) {
    return "unreadable: " + e.getClass().getSimpleName();
  }

  /** The version of a file whose content is {@code content}. */
  static String version(byte[] content) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
      return java.util.HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code version} is that of a file's content, not that it is missing or unreadable. */
  static boolean isContent(String version) {
    return !version.equals("missing") && !version.startsWith("unreadable: ");
  }

  /**
   * The watch service {@code watchServices} opens, or null (logged) when the JDK cannot make one.
   */
  private static WatchService eventsOrNone(WatchServices watchServices, long pollMillis) {
    try {
      return watchServices.open();
    } catch (IOException e) {
      // Found by a reviewer on Jetty 12.1.12 with the user's 128 inotify instances used up, as on
      // a Kubernetes node whose containers run as one user: ApiLink gave up watching ("changes
      // need a restart") and never applied a rotated key or an unlink.
      LOG.log(
          Level.WARNING,
          "ApiLink: no file-system events for the configuration's files ("
              + e.getMessage()
              + "); checking them for changes every "
              + pollMillis
              + " ms instead",
          e);
      return null;
    }
  }

  /**
   * A watch service whose thread (the JDK's {@code FileSystemWatchService}) does not belong to the
   * web application. That thread takes the context class loader of the thread that creates it, and
   * it ends a moment after {@link #close()}, not at once: Tomcat, checking the stopped
   * application's threads in that moment, reported it as started and not stopped (a suite run on
   * Tomcat 10.1.59), and while it ran it kept the application's class loader.
   */
  private static WatchService newWatchService() throws IOException {
    Thread current = Thread.currentThread();
    ClassLoader application = current.getContextClassLoader();
    current.setContextClassLoader(ClassLoader.getPlatformClassLoader());
    try {
      return FileSystems.getDefault().newWatchService();
    } finally {
      current.setContextClassLoader(application);
    }
  }

  /** Stops watching; waits up to a second for the watcher's thread to end. */
  @Override
  public void close() throws IOException {
    closed = true;
    thread.interrupt();
    if (events != null) {
      events.close();
    }
    if (Thread.currentThread() != thread) {
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
