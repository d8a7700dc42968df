package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.util.BufferRecyclers;
import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Field;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * No mapper of a running web application recycles its buffers per thread: the container's threads
 * would keep the undeployed application's class loader (see {@link JsonFactories}).
 */
public class JsonFactoriesTest {

  /** Fails if {@code mapper} keeps buffers in a {@code ThreadLocal} of the threads that use it. */
  public static void assertNoThreadLocalBuffers(ObjectMapper mapper, String name) {
    assertFalse(
        mapper.getFactory()._getRecyclerPool() instanceof RecyclerPool.ThreadLocalPoolBase,
        name + " recycles its buffers in thread-locals");
  }

  /**
   * Runs {@code work} on a thread of its own, as a container's thread would, and fails if Jackson
   * left a buffer in that thread's thread-local (what {@code JsonNode.toString()} does, through a
   * mapper of Jackson's own).
   */
  public static void assertLeavesNoBuffersInItsThread(Callable<?> work) throws Exception {
    Field recyclers = BufferRecyclers.class.getDeclaredField("_recyclerRef");
    recyclers.setAccessible(true);
    ThreadLocal<?> perThread = (ThreadLocal<?>) recyclers.get(null);
    AtomicReference<Object> left = new AtomicReference<>();
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                work.call();
                left.set(perThread.get());
              } catch (Exception e) {
                failure.set(e);
              }
            });
    thread.start();
    thread.join();
    if (failure.get() != null) {
      throw failure.get();
    }
    assertNull(left.get(), "a Jackson buffer left in the thread");
  }

  @Test
  void theConfigurationsMapperKeepsNothingInTheContainersThreads() throws Exception {
    assertNoThreadLocalBuffers(ConfigLoader.JSON, "ConfigLoader");
    assertLeavesNoBuffersInItsThread(
        () -> ConfigLoader.JSON.readTree("{\"hostname\": \"site.example\"}"));
  }

  @Test
  void theCheckSeesWhatJsonNodeToStringLeaves() {
    assertThrows(
        AssertionError.class,
        () ->
            assertLeavesNoBuffersInItsThread(
                () -> ConfigLoader.JSON.createObjectNode().put("a", 1).toString()));
  }
}
