package dev.apilink.testkit.gateway;

import java.net.URI;
import java.util.Objects;

/**
 * An API as APIM knows it: requests whose path is {@code /<path>} or below it go to {@code
 * serviceUrl} followed by the rest of the path.
 *
 * @param name the API's id ({@code sample})
 * @param path the API URL suffix, without leading or trailing slash ({@code api}); empty matches
 *     every path
 * @param serviceUrl the backend, an absolute http(s) URL that may have a path
 * @param subscriptionKeyHeader the header the API reads the subscription key from, APIM's {@code
 *     subscriptionKeyParameterNames.header} ({@code Ocp-Apim-Subscription-Key} unless renamed)
 */
public record Api(String name, String path, URI serviceUrl, String subscriptionKeyHeader) {

  /** APIM's default name of the header that carries the subscription key. */
  public static final String DEFAULT_SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key";

  public Api {
    Checks.require("API name", Checks.id(name));
    Checks.require("API \"" + name + "\": path", Checks.path(path));
    Objects.requireNonNull(serviceUrl, "serviceUrl");
    Checks.require("API \"" + name + "\": serviceUrl", Checks.serviceUrl(serviceUrl.toString()));
    Objects.requireNonNull(subscriptionKeyHeader, "subscriptionKeyHeader");
    Checks.require(
        "API \"" + name + "\": subscriptionKeyHeader", Checks.headerName(subscriptionKeyHeader));
  }

  public static Api of(String name, String path, URI serviceUrl) {
    return new Api(name, path, serviceUrl, DEFAULT_SUBSCRIPTION_KEY_HEADER);
  }

  public static Api of(String name, String path, String serviceUrl) {
    Checks.require("API \"" + name + "\": serviceUrl", Checks.serviceUrl(serviceUrl));
    return of(name, path, URI.create(serviceUrl));
  }

  /** This API reading the subscription key from {@code header} instead. */
  public Api withSubscriptionKeyHeader(String header) {
    return new Api(name, path, serviceUrl, header);
  }
}
