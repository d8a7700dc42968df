package dev.apilink.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

/**
 * The JSON factory behind every mapper ApiLink keeps in a running web application.
 *
 * <p>Jackson recycles its buffers per thread by default: a {@code ThreadLocal} on each thread that
 * parsed or wrote JSON holds a buffer of a class that the web application loaded. Those threads are
 * the container's (its deployment threads, its request threads), so after an undeploy or a redeploy
 * they kept the old application's class loader, and everything it loaded, reachable until the soft
 * reference was cleared (a reviewer counted five such loaders after five redeploys, on Tomcat and
 * on Jetty). This factory's buffers are pooled in the application's own classes instead, and go
 * with it. {@code JsonNode.toString()} writes with a mapper of Jackson's own, with per-thread
 * buffers: ApiLink writes its JSON with these mappers instead.
 */
public final class JsonFactories {

  private JsonFactories() {}

  /** A factory whose buffers no container thread keeps. */
  public static JsonFactory withoutThreadLocals() {
    return JsonFactory.builder()
        .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
        .build();
  }
}
