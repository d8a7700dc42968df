package dev.apilink.testkit.gateway;

import java.util.List;
import java.util.Map;

/**
 * What a gateway description or an ARM template declares, before it is merged with the rest of the
 * builder's set-up and checked as a whole.
 *
 * @param productApis (product id, API name) pairs: APIs added to products declared anywhere
 * @param policies policy documents by product id
 * @param port the port to listen on, or null when not given
 */
record Setup(
    List<Api> apis,
    List<Product> products,
    List<Map.Entry<String, String>> productApis,
    Map<String, String> policies,
    List<Subscription> subscriptions,
    Integer port) {}
