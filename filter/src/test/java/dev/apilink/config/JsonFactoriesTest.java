package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.ObjectMapper;
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

  @Test
  void theConfigurationsMapperKeepsNothingInTheContainersThreads() {
    assertNoThreadLocalBuffers(ConfigLoader.JSON, "ConfigLoader");
  }
}
