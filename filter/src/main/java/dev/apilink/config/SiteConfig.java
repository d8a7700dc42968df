package dev.apilink.config;

import dev.apilink.routes.RouteRules;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A validated ApiLink configuration, resolved for the environment that this deployment is.
 *
 * @param origin the site's public origin, such as {@code https://red-sea-123.azurestaticapps.net}
 * @param environments the names of every environment the file defines
 * @param environment the environment this deployment is, with its references resolved
 * @param token how access tokens are signed and sent
 * @param identityProvider the {@code identityProvider} reported in {@code x-ms-client-principal}
 * @param routes the route rules for {@code /api} from {@code staticwebapp.config.json}; {@link
 *     RouteRules#NONE} without one
 * @param files every file read to build this configuration, with the version of the content read
 *     (for watching them: {@link ConfigWatcher#watch})
 */
public record SiteConfig(
    URI origin,
    Set<String> environments,
    EnvironmentConfig environment,
    TokenConfig token,
    String identityProvider,
    RouteRules routes,
    Map<Path, String> files) {

  public static final String DEFAULT_ENVIRONMENT = "production";
  public static final String DEFAULT_IDENTITY_PROVIDER = "container";

  /** The site's host name and port if any: the tokens' {@code sub}. */
  public String hostname() {
    return origin.getRawAuthority();
  }
}
