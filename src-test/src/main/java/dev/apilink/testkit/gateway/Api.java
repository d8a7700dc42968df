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
 */
public record Api(String name, String path, URI serviceUrl) {

  public Api {
    Checks.require("API name", Checks.id(name));
    Checks.require("API \"" + name + "\": path", Checks.path(path));
    Objects.requireNonNull(serviceUrl, "serviceUrl");
    Checks.require("API \"" + name + "\": serviceUrl", Checks.serviceUrl(serviceUrl.toString()));
  }

  public static Api of(String name, String path, URI serviceUrl) {
    return new Api(name, path, serviceUrl);
  }

  public static Api of(String name, String path, String serviceUrl) {
    Checks.require("API \"" + name + "\": serviceUrl", Checks.serviceUrl(serviceUrl));
    return new Api(name, path, URI.create(serviceUrl));
  }
}
